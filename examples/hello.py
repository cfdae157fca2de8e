greeting = 'Hello, world!'
