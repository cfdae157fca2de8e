plugin_name = 'stamp'
plugin_config = {'Prefix': 'x'}
log = []


def initialize(mod, req):
    mod.value = plugin_config['Prefix'] + req.job['path']


def finalize(mod, req, success):
    log.append(success)
