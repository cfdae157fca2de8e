out = []
for name in pse.form:
    for v in pse.form[name].list:
        if hasattr(v, 'filename'):
            out.append('%s:%s:%s:%d:%s' % (name, v.filename, v.type, v.size, v.value[:5].decode()))
        else:
            out.append('%s=%s' % (name, v))
