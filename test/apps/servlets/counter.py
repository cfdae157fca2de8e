from pse.plugins import session
data = session.new()
data['n'] = data.get('n', 0) + 1
n = data['n']
if pse.form.get('fail'):
    raise RuntimeError('after the change')
