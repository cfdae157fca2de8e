resp = pse.plugins.response
mode = pse.form.get('mode', '')
if mode == 'status':
    resp.status = 201
    resp.content_type = 'text/plain; charset=utf-8'
    resp.headers['X-Test'] = 'yes'
elif mode == 'redirect':
    resp.redirect('/api.pt?from=redirect')
elif mode == 'error':
    resp.error(403, 'not for you')
elif mode == 'cookie':
    pse.plugins.client.cookies['flavour'] = pse.plugins.client.CookieClass('flavour', 'oat', expires=3600)
