// Check-in: scan the booking's QR code with the camera where the browser can
// (BarcodeDetector); otherwise the typed field is all there is.
(function () {
  "use strict";
  var button = document.getElementById("scan");
  var video = document.getElementById("camera");
  var field = document.getElementById("id_code");
  var status = document.getElementById("scan-status");
  if (!button || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
      .then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        status.textContent = button.dataset.looking || "…";
        var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); };
        var look = function () {
          detector.detect(video).then(function (codes) {
            if (codes.length) {
              stop();
              field.value = codes[0].rawValue;
              video.hidden = true;
              var nik = document.getElementById("id_nik");
              if (nik) nik.focus(); else document.getElementById("find-form").submit();
            } else {
              requestAnimationFrame(look);
            }
          }).catch(function () { requestAnimationFrame(look); });
        };
        look();
      })
      .catch(function () { status.textContent = ""; field.focus(); });
  });
})();
