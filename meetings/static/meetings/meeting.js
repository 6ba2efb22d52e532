// The meeting page's video room: Jitsi Meet embedded with its IFrame API, loaded from the
// department's own Jitsi server (data-domain). Joining and leaving are posted to the portal's
// attendance endpoint. If the IFrame API cannot be loaded, the page shows a direct link.
(function () {
  "use strict";

  var container = document.getElementById("jitsi-room");
  if (!container) {
    return;
  }
  var data = container.dataset;
  var fallback = document.getElementById("jitsi-fallback");
  var LOAD_TIMEOUT_MS = 15000;

  function showFallback() {
    container.hidden = true;
    if (fallback) {
      fallback.hidden = false;
    }
  }

  function postAttendance(event) {
    if (!data.attendanceUrl) {
      return;
    }
    var body = JSON.stringify({ event: event });
    fetch(data.attendanceUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": data.csrf || "",
      },
      body: body,
    }).catch(function () {
      // Attendance is a record, not a condition of the meeting: never interrupt the call.
    });
  }

  function start() {
    if (typeof window.JitsiMeetExternalAPI !== "function") {
      showFallback();
      return;
    }
    var options = {
      roomName: data.room,
      parentNode: container,
      width: "100%",
      height: "100%",
      lang: data.lang || "ar",
      userInfo: { displayName: data.displayName || "", email: data.email || "" },
      configOverwrite: {
        prejoinConfig: { enabled: true },
        disableDeepLinking: true,
        defaultLanguage: data.lang || "ar",
      },
      interfaceConfigOverwrite: { SHOW_JITSI_WATERMARK: false },
    };
    if (data.jwt) {
      options.jwt = data.jwt;
    }
    var api;
    try {
      api = new window.JitsiMeetExternalAPI(data.domain, options);
    } catch (error) {
      showFallback();
      return;
    }
    var joined = false;
    api.addListener("videoConferenceJoined", function () {
      joined = true;
      postAttendance("joined");
    });
    api.addListener("videoConferenceLeft", function () {
      if (joined) {
        joined = false;
        postAttendance("left");
      }
    });
    window.addEventListener("pagehide", function () {
      if (joined) {
        joined = false;
        postAttendance("left");
      }
    });
  }

  var script = document.createElement("script");
  script.src = "https://" + data.domain + "/external_api.js";
  script.async = true;
  var timer = window.setTimeout(showFallback, LOAD_TIMEOUT_MS);
  script.onload = function () {
    window.clearTimeout(timer);
    container.hidden = false;
    if (fallback) {
      fallback.hidden = true;
    }
    start();
  };
  script.onerror = function () {
    window.clearTimeout(timer);
    showFallback();
  };
  document.head.appendChild(script);
})();
