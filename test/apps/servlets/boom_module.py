value = 1
raise KeyError('missing-thing')
