# pse.include writes another servlet in place, in this namespace; pse.call returns its output
# (Markup) and runs it in a copy of the namespace, so nothing it sets leaks back.
text = 'set by the including page'
cards = [pse.call('card.pt', heading='Card %d' % i, text='made by pse.call') for i in (1, 2)]
