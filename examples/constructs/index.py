# The code module of the constructs page: it runs first, in the namespace the template then sees.
from pse import Markup

title = 'Every template construct'
items = ['apple', 'pear & plum', '<kiwi>']
selected = 'pear & plum'
link = '/constructs/?page=2&sort=name'
bold = Markup('<b>trusted markup</b>')
counts = {'apple': 3, 'pear & plum': 0}
