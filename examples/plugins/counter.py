"""A user plugin: counts the requests this worker served, starting at [plugins.counter] Start."""
plugin_name = 'counter'
plugin_config = {'Start': 0}

served = 0


def plugin_init():
    global served
    served = plugin_config['Start']
    return True


def initialize(mod, req):
    global served
    served += 1
    mod.count = served


def finalize(mod, req, success):
    pass
