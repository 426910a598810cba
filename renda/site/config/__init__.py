"""配置: the pages an office uses for the rules (规则参数) and the working-day calendar (工作日历).

The models and the reading of them are core's (``core.rules``, ``core.workdays``); the writes
live here because every change is an audit event and core imports no app.
"""
