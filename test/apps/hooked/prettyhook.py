def text_traceback(info):
    return 'hooked text: %s' % (info[1],)


def html_traceback(info):
    return '<h1>hooked html: %s</h1>' % (info[1],)
