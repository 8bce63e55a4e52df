/* The opportunity kanban: drag a card onto a column to move it.
 *
 * Every card carries a plain form (a stage select and a Move button) that works
 * from the keyboard and without JavaScript. htmx posts that form and swaps the
 * board in place; this file only turns a drop into the form's submission, opens
 * the won/lost reason dialog the server sends back, and keeps the focus on the
 * card that moved. No inline script or style: the CSP forbids both.
 */
(function () {
  "use strict";

  if (window.htmx) {
    // htmx would otherwise add a <style> element, which the CSP refuses.
    window.htmx.config.includeIndicatorStyles = false;
    window.htmx.config.allowEval = false;
    window.htmx.config.allowScriptTags = false;
  }

  var dragged = null;

  function closest(node, selector) {
    return node && node.closest ? node.closest(selector) : null;
  }

  function clearTargets() {
    document.querySelectorAll(".kanban-column.drop-target").forEach(function (column) {
      column.classList.remove("drop-target");
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = closest(event.target, ".kanban-card[draggable='true']");
    if (!card) { return; }
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.opportunityId);
  });

  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
    clearTargets();
  });

  document.addEventListener("dragover", function (event) {
    var column = closest(event.target, ".kanban-column");
    if (!column || !dragged) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("drop-target")) {
      clearTargets();
      column.classList.add("drop-target");
    }
  });

  document.addEventListener("drop", function (event) {
    var column = closest(event.target, ".kanban-column");
    if (!column || !dragged) { return; }
    event.preventDefault();
    clearTargets();
    var form = dragged.querySelector("form.kanban-move");
    var select = form && form.querySelector("select[name='stage_id']");
    if (!select || select.value === column.dataset.stageId) { return; }
    select.value = column.dataset.stageId;
    if (form.requestSubmit) { form.requestSubmit(); } else { window.htmx.trigger(form, "submit"); }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = document.getElementById("crm-dialog");
    if (!dialog) { return; }
    if (event.detail.target === dialog) {
      if (!dialog.open) { dialog.showModal(); }
      var field = dialog.querySelector("textarea, input:not([type='hidden'])");
      if (field) { field.focus(); }
      return;
    }
    if (dialog.open) { dialog.close(); }
    var moved = document.querySelector(".kanban-card[data-moved]");
    if (moved) { moved.focus(); }
  });

  document.addEventListener("click", function (event) {
    var button = closest(event.target, "[data-close-dialog]");
    var dialog = closest(button, "dialog");
    if (dialog) { dialog.close(); }
  });

  // A cancelled won/lost dialog leaves the card's select on that stage: put it back.
  document.addEventListener("close", function (event) {
    if (event.target && event.target.id === "crm-dialog") {
      document.querySelectorAll("form.kanban-move").forEach(function (form) { form.reset(); });
      event.target.innerHTML = "";
    }
  }, true);
}());
