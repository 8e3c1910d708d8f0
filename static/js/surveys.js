/* The respondents' form: count answered questions as the person goes. The form
   works without it (the server counts on every submission). */
(function () {
  "use strict";

  function answered(question) {
    var fields = question.querySelectorAll("input, textarea");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (field.type === "radio" || field.type === "checkbox") {
        if (field.checked) return true;
      } else if (field.value.trim() !== "") {
        return true;
      }
    }
    return false;
  }

  function update(form) {
    var questions = form.querySelectorAll("[data-question]");
    var count = 0;
    for (var i = 0; i < questions.length; i++) {
      if (answered(questions[i])) count++;
    }
    var bar = form.querySelector("progress[data-progress]");
    var text = form.querySelector("[data-progress-text]");
    if (bar) bar.value = count;
    if (text) text.textContent = count + " з " + questions.length;
  }

  function start() {
    var forms = document.querySelectorAll("form[data-survey-form]");
    for (var i = 0; i < forms.length; i++) {
      (function (form) {
        form.addEventListener("change", function () { update(form); });
        form.addEventListener("input", function () { update(form); });
        update(form);
      })(forms[i]);
    }
    var errors = document.getElementById("survey-errors");
    if (errors) errors.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
