// The hall's display board: polls the board data every second, survives network drops,
// and announces each new call with a chime and Indonesian speech.
(function () {
  "use strict";
  var body = document.body;
  var url = body.dataset.url;
  // The words come from the page (data attributes): no inline script under the CSP.
  var text = { counter: body.dataset.counterLabel, say: body.dataset.say };
  var state = JSON.parse(document.getElementById("board-state").textContent);
  var lastId = state.calls.length ? state.calls[0].id : 0;
  var queue = [];
  var speaking = false;
  var audio = null;
  var failures = 0;

  var UNITS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan",
    "sembilan", "sepuluh", "sebelas"];
  function words(n) {
    // Indonesian number words for counters (1-99).
    if (n < 12) return UNITS[n];
    if (n < 20) return UNITS[n - 10] + " belas";
    var tens = Math.floor(n / 10), rest = n % 10;
    return (tens === 1 ? "sepuluh" : UNITS[tens] + " puluh") + (rest ? " " + UNITS[rest] : "");
  }

  function chime() {
    if (!audio) return;
    var t = audio.currentTime;
    [880, 660].forEach(function (freq, i) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t + i * 0.35);
      gain.gain.exponentialRampToValueAtTime(0.4, t + i * 0.35 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.35 + 0.3);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + i * 0.35);
      osc.stop(t + i * 0.35 + 0.32);
    });
  }

  function speakNext() {
    if (speaking || !queue.length) return;
    var call = queue.shift();
    speaking = true;
    chime();
    var sentence = text.say
      .replace("%(number)s", call.spoken)
      .replace("%(counter)s", words(call.counter || 0));
    body.dataset.lastAnnouncement = sentence;
    var done = function () { speaking = false; setTimeout(speakNext, 400); };
    if (!("speechSynthesis" in window)) { setTimeout(done, 800); return; }
    setTimeout(function () {
      var u = new SpeechSynthesisUtterance(sentence);
      u.lang = "id-ID";
      u.rate = 0.9;
      var voice = speechSynthesis.getVoices().filter(function (v) {
        return v.lang && v.lang.toLowerCase().indexOf("id") === 0;
      })[0];
      if (voice) u.voice = voice;
      u.onend = done;
      u.onerror = done;
      speechSynthesis.speak(u);
    }, 700);
  }

  function render(data) {
    if (data.now) document.getElementById("board-clock").textContent = data.now;
    var now = data.calls[0];
    document.getElementById("now-ticket").textContent = now ? now.ticket : "—";
    document.getElementById("now-counter").textContent = now ? text.counter + " " + now.counter : "";
    var rows = document.getElementById("recent-calls");
    rows.textContent = "";
    data.calls.slice(1).forEach(function (c) {
      var tr = document.createElement("tr");
      [c.ticket, c.counter].forEach(function (v) {
        var td = document.createElement("td");
        td.textContent = v;
        tr.appendChild(td);
      });
      rows.appendChild(tr);
    });
    var list = document.getElementById("waiting");
    list.textContent = "";
    data.waiting.forEach(function (w) {
      var li = document.createElement("li");
      var strong = document.createElement("strong");
      strong.textContent = w.lane;
      var span = document.createElement("span");
      span.textContent = w.count;
      li.appendChild(strong);
      li.appendChild(document.createTextNode(" " + w.name + ": "));
      li.appendChild(span);
      list.appendChild(li);
    });
    var fresh = data.calls.filter(function (c) { return c.id > lastId; }).reverse();
    if (fresh.length) {
      lastId = fresh[fresh.length - 1].id;
      fresh.forEach(function (c) { queue.push(c); });
      document.getElementById("now-ticket").classList.remove("flash");
      void document.getElementById("now-ticket").offsetWidth;
      document.getElementById("now-ticket").classList.add("flash");
      speakNext();
    }
  }

  function poll() {
    var ctrl = "AbortController" in window ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, 3000) : null;
    fetch(url, { cache: "no-store", signal: ctrl ? ctrl.signal : undefined })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        failures = 0;
        document.getElementById("board-offline").hidden = true;
        render(data);
      })
      .catch(function () {
        failures += 1;
        document.getElementById("board-offline").hidden = false;
      })
      .then(function () {
        if (timer) clearTimeout(timer);
        // Back off gently while offline (at most 5 s), every second otherwise.
        setTimeout(poll, failures ? Math.min(1000 * failures, 5000) : 1000);
      });
  }

  document.getElementById("board-sound").addEventListener("click", function (e) {
    // Browsers only play sound after a gesture: one click when the TV is switched on.
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx && !audio) audio = new Ctx();
    if (audio && audio.state === "suspended") audio.resume();
    if ("speechSynthesis" in window) speechSynthesis.getVoices();
    e.target.hidden = true;
  });

  poll();
})();
