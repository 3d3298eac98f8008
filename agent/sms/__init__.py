"""The SMS lifeline: when the kit's data path is down but a modem is registered, a short
signed status goes to the collector's gateway number by SMS.

:mod:`agent.sms.decide` (pure: when to send), :mod:`agent.sms.at` (PDU-mode SMS over an
:class:`~agent.modem.driver.AtPort`), :mod:`agent.sms.task` (the agent's lifeline task).
The message format and the PDU codec are shared with the collector:
:mod:`pantau.core.lifeline`, :mod:`pantau.core.smspdu`.
"""
