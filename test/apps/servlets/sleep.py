import time
time.sleep(float(pse.form.get('s', '10')))
