import json
req = pse.plugins.request
cli = pse.plugins.client
srv = pse.plugins.server
scratch = pse.plugins.application.new('scratch')
scratch['x'] = 1
pse.plugins.application.delete('scratch')
data = json.dumps({
    'app_deleted': pse.plugins.application.new('scratch').get('x') is None,
    'server_address': list(srv.address),
    'str_of_field': pse.form['b'].str if pse.form.has_key('b') else None,
    'method': req.method,
    'path': req.path,
    'url': req.url,
    'args': {k: req.args[k].list for k in req.args},
    'form': {k: [str(v) for v in pse.form[k].list] for k in pse.form},
    'has_key': pse.form.has_key('a'),
    'content': req.content.read().decode('latin-1'),
    'cgi': {k: req.CGI.get(k) for k in ('REQUEST_METHOD', 'QUERY_STRING', 'SCRIPT_NAME', 'HTTP_X_THING', 'CONTENT_TYPE')},
    'id': bool(req.id),
    'header': req.headers.get('x-thing'),
    'client_ip': cli.address[0],
    'cookies': {k: cli.cookies[k].value for k in cli.cookies},
    'server_ip': srv.ip,
    'child': srv.child_num,
    'version': pse.version,
    'copyright': bool(pse.copyright),
    'escape': pse.escape('<a&b>'),
    'markup': str(pse.Markup('<b>')),
})
pse.plugins.response.content_type = 'application/json'
