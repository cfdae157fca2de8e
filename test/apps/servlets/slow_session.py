import time
from pse.plugins import session
session.new()['slow'] = True
time.sleep(float(pse.form.get('s', '2')))
