secret = 'caller'
called = pse.call('part.pt', who='call')
