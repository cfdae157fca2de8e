"""Plugins (docs/language.md): load the built-in and user plugins, apply ``[plugins.<name>]``, run hooks.

Order: the built-ins (``BUILTIN``), then the user plugins of ``[Main] PluginPath`` in file-name
order, ``_``-prefixed files skipped. ``initialize`` runs in that order, ``finalize`` in reverse.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from types import ModuleType
from typing import Any, Callable, Dict, List, Optional, Tuple

import pse
import pse.plugins

BUILTIN = ('request', 'client', 'server', 'response', 'application', 'session')
#: [plugins.session] is read by Node (the store, cookie, lock); the worker only honours Enabled
NODE_SECTIONS = ('session',)

Issue = Dict[str, Any]
Options = Dict[str, Dict[str, Any]]  # option → {value, line}

_TRUE = ('yes', 'true', 'on', '1')
_FALSE = ('no', 'false', 'off', '0')


class BootError(Exception):
    """A plugin could not be loaded or initialized: the worker cannot serve."""

    def __init__(self, message: str, issues: List[Issue]) -> None:
        super().__init__(message)
        self.issues = issues


class Plugin:
    __slots__ = ('name', 'module', 'file', 'initialize', 'finalize')

    def __init__(self, name: str, module: ModuleType) -> None:
        self.name = name
        self.module = module
        self.file = getattr(module, '__file__', None) or name
        self.initialize: Optional[Callable[[ModuleType, Any], None]] = getattr(module, 'initialize', None)
        self.finalize: Optional[Callable[[ModuleType, Any, bool], None]] = getattr(module, 'finalize', None)


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError('expected yes or no, got %r' % text)


def convert(text: str, default: Any) -> Any:
    """``text`` as the type of ``default`` (bool, int, float, list/tuple as comma-separated, str)."""
    if isinstance(default, bool):
        return parse_bool(text)
    if isinstance(default, int):
        try:
            return int(text.strip(), 10)
        except ValueError:
            raise ValueError('expected an integer, got %r' % text) from None
    if isinstance(default, float):
        try:
            return float(text.strip())
        except ValueError:
            raise ValueError('expected a number, got %r' % text) from None
    if isinstance(default, (list, tuple)):
        items = [item.strip() for item in text.split(',') if item.strip()]
        return type(default)(items)
    return text


def python_issue(exc: BaseException, file: str) -> Issue:
    """A located issue for an exception raised while importing or initializing ``file``."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return {'stage': 'python', 'file': exc.filename, 'line': exc.lineno or 1, 'col': exc.offset or 1,
                'message': 'SyntaxError: %s' % exc.msg}
    frames = list(traceback.walk_tb(exc.__traceback__))
    mine = [lineno for frame, lineno in frames if frame.f_code.co_filename == file]
    if mine:
        where, line = file, mine[-1]
    elif frames:
        where, line = frames[-1][0].f_code.co_filename, frames[-1][1]
    else:
        where, line = file, 1
    return {'stage': 'python', 'file': where, 'line': line, 'col': 1,
            'message': '%s: %s' % (type(exc).__name__, exc)}


def _option_issue(conf: str, line: int, message: str) -> Issue:
    return {'stage': 'config', 'file': conf, 'line': line, 'col': 1, 'message': message}


def apply_config(plugin: Plugin, options: Options, conf: str, issues: List[Issue]) -> bool:
    """Merge ``options`` into the plugin's ``plugin_config``; False when ``Enabled = no``."""
    mod = plugin.module
    defaults = getattr(mod, 'plugin_config', None)
    merged: Dict[str, Any] = dict(defaults) if isinstance(defaults, dict) else {}
    by_lower = {str(k).lower(): k for k in merged}
    enabled = True
    for option, entry in options.items():
        value, line = str(entry.get('value', '')), int(entry.get('line', 1))
        where = '[plugins.%s] %s' % (plugin.name, option)
        if option.lower() == 'enabled':
            try:
                enabled = parse_bool(value)
            except ValueError as exc:
                issues.append(_option_issue(conf, line, '%s: %s' % (where, exc)))
            continue
        key = by_lower.get(option.lower())
        if key is None:
            if plugin.name in NODE_SECTIONS:
                continue
            known = ', '.join(sorted(map(str, merged))) or 'none'
            issues.append(_option_issue(conf, line, '%s: unknown option for plugin %r (known: %s)'
                                        % (where, plugin.name, known)))
            continue
        try:
            merged[key] = convert(value, merged[key])
        except ValueError as exc:
            issues.append(_option_issue(conf, line, '%s: %s' % (where, exc)))
    if isinstance(defaults, dict):
        mod.plugin_config = merged  # type: ignore[attr-defined]
    return enabled


def _import_user(path: str) -> ModuleType:
    stem = os.path.splitext(os.path.basename(path))[0]
    name = 'pse.plugins.' + stem
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError('cannot load %s as a Python module' % path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _user_files(folder: str) -> List[str]:
    if not folder or not os.path.isdir(folder):
        return []
    names = sorted(n for n in os.listdir(folder)
                   if n.endswith('.py') and not n.startswith(('_', '.')) and os.path.isfile(os.path.join(folder, n)))
    return [os.path.join(folder, n) for n in names]


def load(config: Dict[str, Any]) -> Tuple[List[Plugin], List[Issue]]:
    """Import, configure and ``plugin_init`` every plugin; raises BootError when one is broken."""
    issues: List[Issue] = []
    conf = str(config.get('confFile') or 'pse.conf')
    sections: Dict[str, Options] = dict(config.get('plugins') or {})
    found: List[Plugin] = []
    for name in BUILTIN:
        if importlib.util.find_spec('pse.plugins.' + name) is None:
            continue  # an optional built-in that is not installed
        found.append(Plugin(name, importlib.import_module('pse.plugins.' + name)))
    for path in _user_files(str(config.get('pluginPath') or '')):
        try:
            module = _import_user(path)
        except Exception as exc:
            issue = python_issue(exc, path)
            raise BootError('plugin %s failed to load: %s' % (path, issue['message']), [issue]) from None
        name = getattr(module, 'plugin_name', None) or os.path.splitext(os.path.basename(path))[0]
        if not isinstance(name, str) or not name.isidentifier():
            issues.append({'stage': 'python', 'file': path, 'line': 1, 'col': 1,
                           'message': 'plugin_name must be a Python identifier, got %r' % (name,)})
            continue
        if any(p.name == name for p in found):
            issues.append({'stage': 'python', 'file': path, 'line': 1, 'col': 1,
                           'message': 'plugin name %r is already taken; %s is not loaded' % (name, path)})
            continue
        sys.modules['pse.plugins.' + name] = module
        found.append(Plugin(name, module))
    names = {p.name for p in found}
    for section, options in sections.items():
        if section not in names and section not in NODE_SECTIONS:
            line = min((int(o.get('line', 1)) for o in options.values()), default=1)
            issues.append(_option_issue(conf, max(line - 1, 1), '[plugins.%s]: no plugin named %r (loaded: %s)'
                                        % (section, section, ', '.join(sorted(names)))))
    active: List[Plugin] = []
    for plugin in found:
        if not apply_config(plugin, sections.get(plugin.name, {}), conf, issues):
            continue
        init = getattr(plugin.module, 'plugin_init', None)
        if init is not None:
            try:
                keep = init()
            except pse.PluginConfigError as exc:
                line = int((sections.get(plugin.name, {}).get(exc.option) or {}).get('line', 1))
                issues.append(_option_issue(conf, line, '[plugins.%s] %s' % (plugin.name, exc)))
                continue
            except Exception as exc:
                issue = python_issue(exc, plugin.file)
                raise BootError('plugin %r failed in plugin_init: %s' % (plugin.name, issue['message']),
                                [issue]) from None
            if keep is False:
                continue
        active.append(plugin)
    for plugin in found:
        if plugin in active:
            setattr(pse.plugins, plugin.name, plugin.module)
        elif hasattr(pse.plugins, plugin.name):
            delattr(pse.plugins, plugin.name)
    return active, issues
