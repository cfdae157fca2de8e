"""PSE plugins: each is a module here (built-in) or in the app's ``[Main] PluginPath`` (user).

The worker binds every enabled plugin as an attribute of this package, so servlets use
``pse.plugins.request`` or ``from pse.plugins import session``.
"""
