pse.plugins.server.log('a message from the servlet', pse.plugins.server.WARNING)
