d = pse.plugins.application.new('counter')
d['n'] = d.get('n', 0) + 1
n = d['n']
