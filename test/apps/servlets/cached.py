import time
d = pse.plugins.application.new('cached')
d['runs'] = d.get('runs', 0) + 1
runs = d['runs']
pse.cache = time.time() + 60
