# The session example of the PSE documentation: remember a visitor's name.
from pse.plugins import session

form = pse.form
data = session.new()
if form.has_key('name'):
    data['name'] = form['name']
name = data.get('name')
