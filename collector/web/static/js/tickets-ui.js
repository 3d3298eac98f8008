// Ticket pieces shared by the site page and the tickets page: the acknowledge and
// resolve buttons with their note form, and a ticket's history.

import { canAct, el, pick, request, showError, showMessage, t, timeElement, word } from "./api.js";
import { registerStrings } from "./i18n.js";

registerStrings({
  en: {
    "ticket.note": "Note",
    "ticket.confirm": "Confirm",
    "ticket.cancel": "Cancel",
    "ticket.ack-note": "Acknowledgement note",
    "ticket.resolve-note": "Resolution note",
    "ticket.ack": "Acknowledge",
    "ticket.resolve": "Resolve",
    "ticket.need-note": "Write a note for the operator's record.",
    "ticket.acked": "Ticket {id} acknowledged.",
    "ticket.resolved": "Ticket {id} resolved.",
    "ticket.by": " by {actor}",
    "ticket.auto": "the rules (automatic)",
    "ticket.no-history": "No history.",
    "ticket.evidence": "Evidence",
    "ticket.incident": "Part of incident {id}",
    "action.opened": "opened",
    "action.reopened": "reopened",
    "action.acknowledged": "acknowledged",
    "action.resolved": "resolved",
    "action.escalated": "escalated",
    "action.updated": "updated",
  },
  id: {
    "ticket.note": "Catatan",
    "ticket.confirm": "Konfirmasi",
    "ticket.cancel": "Batal",
    "ticket.ack-note": "Catatan penanganan",
    "ticket.resolve-note": "Catatan penyelesaian",
    "ticket.ack": "Tangani",
    "ticket.resolve": "Selesaikan",
    "ticket.need-note": "Tulis catatan untuk rekaman operator.",
    "ticket.acked": "Tiket {id} sedang ditangani.",
    "ticket.resolved": "Tiket {id} selesai.",
    "ticket.by": " oleh {actor}",
    "ticket.auto": "aturan (otomatis)",
    "ticket.no-history": "Belum ada riwayat.",
    "ticket.evidence": "Bukti",
    "ticket.incident": "Bagian dari insiden {id}",
    "action.opened": "dibuka",
    "action.reopened": "dibuka lagi",
    "action.acknowledged": "ditangani",
    "action.resolved": "diselesaikan",
    "action.escalated": "dieskalasi",
    "action.updated": "diperbarui",
  },
});

export function ticketTime(ticket, name) {
  return pick(ticket, name, `${name}_at`, `${name}_time`, `${name}_ns`);
}

/**
 * The actions a ticket allows for this account: acknowledge (open tickets) and
 * resolve (open or acknowledged), each asking for a note first. `onChanged(ticket)`
 * gets the ticket as the API returns it afterwards.
 */
export function ticketActions(ticket, account, onChanged) {
  const box = el("div", { class: "ticket-actions", "data-ticket": ticket.id });
  if (!canAct(account) || ticket.state === "resolved") return box;
  const buttons = el("div", { class: "actions" });
  const form = el("form", { class: "note-form hidden" });
  const noteId = `note-${ticket.id}-${Math.random().toString(36).slice(2, 7)}`;
  const label = el("label", { for: noteId }, t("ticket.note"));
  const note = el("textarea", { id: noteId, name: "note", required: true, maxlength: 2000 });
  const submit = el("button", { type: "submit" }, t("ticket.confirm"));
  const cancel = el("button", { type: "button", class: "secondary" }, t("ticket.cancel"));
  form.append(label, note, el("div", { class: "row" }, submit, cancel));
  let action = null;

  const open = (which) => {
    action = which;
    label.textContent = t(which === "ack" ? "ticket.ack-note" : "ticket.resolve-note");
    submit.textContent = t(which === "ack" ? "ticket.ack" : "ticket.resolve");
    submit.dataset.action = which;
    form.classList.remove("hidden");
    note.focus();
  };
  if (ticket.state === "open") {
    const ack = el("button", { type: "button", "data-action": "ack" }, t("ticket.ack"));
    ack.addEventListener("click", () => open("ack"));
    buttons.append(ack);
  }
  const resolve = el("button", { type: "button", class: "secondary", "data-action": "resolve" }, t("ticket.resolve"));
  resolve.addEventListener("click", () => open("resolve"));
  buttons.append(resolve);
  cancel.addEventListener("click", () => {
    form.classList.add("hidden");
    note.value = "";
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = note.value.trim();
    if (!text) {
      note.setCustomValidity(t("ticket.need-note"));
      note.reportValidity();
      note.setCustomValidity("");
      return;
    }
    submit.disabled = true;
    try {
      const result = await request(`/api/v1/tickets/${ticket.id}/${action}`, {
        method: "POST",
        body: { note: text },
      });
      const updated = result && result.ticket ? result.ticket : result;
      showMessage(t(action === "ack" ? "ticket.acked" : "ticket.resolved", { id: ticket.id }), {
        kind: "info",
        timeoutMs: 5000,
      });
      onChanged(updated && updated.id !== undefined ? updated : { ...ticket, state: action === "ack" ? "acknowledged" : "resolved" });
    } catch (err) {
      showError(err);
      if (err.status === 409) onChanged(null); // someone else changed it: reload
    } finally {
      submit.disabled = false;
    }
  });
  box.append(buttons, form);
  return box;
}

/** A link to the incident a ticket is part of (a ticket's detail names it). */
export function incidentLink(id) {
  return el("a", { href: `/incidents#incident-${id}`, class: "incident-link", "data-incident": id },
    t("ticket.incident", { id }));
}

/** A ticket's history as a list (GET /api/v1/tickets/{id}), with its incident. */
export async function ticketHistory(id, place = null) {
  const data = await request(`/api/v1/tickets/${id}`);
  const events = data.events ?? data.history ?? [];
  const list = el("ol", { class: "history", "data-ticket": id });
  for (const e of events) {
    list.append(el("li", { "data-action": e.action },
      timeElement(pick(e, "at", "time", "at_ns"), place ?? data.site_code), " · ",
      el("strong", {}, word("action", e.action)), t("ticket.by", { actor: e.actor === "auto" ? t("ticket.auto") : e.actor ?? "?" }),
      e.note ? el("span", { class: "note" }, ` — ${e.note}`) : null));
  }
  if (!events.length) list.append(el("li", { class: "muted" }, t("ticket.no-history")));
  const evidence = data.evidence && Object.keys(data.evidence).length
    ? el("details", {}, el("summary", {}, t("ticket.evidence")), el("pre", { class: "mono" }, JSON.stringify(data.evidence, null, 2)))
    : null;
  const incident = data.incident_id ? el("p", {}, incidentLink(data.incident_id)) : null;
  return { ticket: data, node: el("div", {}, incident, list, evidence) };
}
