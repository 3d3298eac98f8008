"""The technician's tools: ``pantau-agent check``, ``status`` and ``survey``.

Modules: :mod:`~agent.tech.grades` (signal grades and bars, pure),
:mod:`~agent.tech.verdict` (READY / DEGRADED / NOT READY from the facts, pure),
:mod:`~agent.tech.check` (gathering the facts, bounded in time; its modem and
collector steps in :mod:`~agent.tech.check_modem` and :mod:`~agent.tech.check_collector`),
:mod:`~agent.tech.report` (the check's report, typed), :mod:`~agent.tech.assess` (its
findings, pure),
:mod:`~agent.tech.status` (the running agent's status file: written by the service,
read by ``status``), :mod:`~agent.tech.survey` (walking readings with GNSS positions)
and :mod:`~agent.tech.render` (tables, bars, colour on a terminal).
Everything a technician reads comes from the catalogues in :mod:`agent.messages`.
"""
