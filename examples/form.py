# Fields and uploads: repeated fields are lists, uploads have filename, type, file and value.
form = pse.form
name = form.get('name', '')
colours = form['colour'].list if form.has_key('colour') else []
uploads = []
if form.has_key('upload'):
    for f in form['upload'].list:
        if getattr(f, 'filename', ''):
            uploads.append((f.filename, f.type, len(f.value)))
