/* Pathcast browser tracker: page views (including single-page-app navigation), track and
 * identify. Events are batched (up to 20, or every 2 s) and sent with fetch; what is still queued
 * when the page is hidden goes with sendBeacon. Failed sends are retried with backoff, never
 * sooner than a 429's or 503's Retry-After.
 * Include with <script async src="https://COLLECTOR/t.js" data-write-key="WRITE_KEY"></script>.
 * No dependencies; keep it small (< 5 KB gzipped, checked by a test). */
(function (w, d) {
  'use strict';
  if (w.pathcast && w.pathcast.loaded) return;
  var script = d.currentScript || d.querySelector('script[data-write-key]');
  var queued = (w.pathcast && w.pathcast.q) || [];
  var key = script && script.getAttribute('data-write-key');
  var base = script ? new URL(script.src, location.href).origin : location.origin;
  var STORE = 'pathcast_queue';
  var AID = 'pathcast_aid';
  var UID = 'pathcast_uid';
  var MAX_BATCH = 20;
  var FLUSH_MS = 2000;
  var queue = load();
  var timer = 0;
  var failures = 0;
  var lastUrl = '';

  function uuid() {
    if (w.crypto && w.crypto.randomUUID) return w.crypto.randomUUID();
    return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, function (c) {
      var r = (Math.random() * 16) | 0;
      return (c === 'x' ? r : (r & 3) | 8).toString(16);
    });
  }
  function getCookie(name) {
    var m = d.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
    return m ? decodeURIComponent(m[1]) : null;
  }
  function setCookie(name, value) {
    d.cookie =
      name +
      '=' +
      encodeURIComponent(value) +
      '; path=/; max-age=31536000; SameSite=Lax' +
      (location.protocol === 'https:' ? '; Secure' : '');
  }
  function stored(name) {
    var v = getCookie(name);
    try {
      v = v || w.localStorage.getItem(name);
    } catch (_e) {
      // Storage can be disabled or full; the tracker works without it.
    }
    return v;
  }
  function keep(name, value) {
    setCookie(name, value);
    try {
      w.localStorage.setItem(name, value);
    } catch (_e) {
      // Storage can be disabled or full; the tracker works without it.
    }
  }
  function load() {
    try {
      return JSON.parse(w.localStorage.getItem(STORE) || '[]');
    } catch (_e) {
      return [];
    }
  }
  function save() {
    try {
      w.localStorage.setItem(STORE, JSON.stringify(queue.slice(-500)));
    } catch (_e) {
      // Storage can be disabled or full; the tracker works without it.
    }
  }
  var anonymousId = stored(AID) || uuid();
  keep(AID, anonymousId);
  var userId = stored(UID);

  function context() {
    return {
      page: {
        url: location.href,
        path: location.pathname,
        search: location.search,
        referrer: d.referrer,
        title: d.title,
      },
      userAgent: navigator.userAgent,
      locale: navigator.language,
      screen: { width: screen.width, height: screen.height },
      library: { name: 'pathcast.js', version: '1' },
    };
  }
  function enqueue(event) {
    event.messageId = uuid();
    event.anonymousId = anonymousId;
    if (userId) event.userId = userId;
    event.timestamp = new Date().toISOString();
    event.context = context();
    queue.push(event);
    save();
    if (queue.length >= MAX_BATCH) flush(false);
    else if (!timer)
      timer = setTimeout(function () {
        flush(false);
      }, FLUSH_MS);
  }
  function body(events) {
    return JSON.stringify({ writeKey: key, sentAt: new Date().toISOString(), batch: events });
  }
  function flush(leaving) {
    clearTimeout(timer);
    timer = 0;
    if (!queue.length || !key) return;
    var events = queue.slice(0, MAX_BATCH);
    var url = base + '/v1/batch';
    if (leaving && navigator.sendBeacon) {
      // text/plain needs no CORS preflight; the write key travels in the body.
      if (navigator.sendBeacon(url, new Blob([body(events)], { type: 'text/plain' }))) {
        queue.splice(0, events.length);
        save();
        if (queue.length) flush(true);
      }
      return;
    }
    fetch(url, {
      method: 'POST',
      body: body(events),
      keepalive: true,
      headers: { 'Content-Type': 'text/plain' },
    })
      .then(function (res) {
        // 4xx other than 429 will never pass: drop them instead of retrying forever.
        if (res.ok || (res.status >= 400 && res.status < 500 && res.status !== 429)) {
          failures = 0;
          queue.splice(0, events.length);
          save();
          if (queue.length) flush(false);
        } else {
          // A 429 or 503 may say when to come back (seconds); never sooner than that.
          var after = Number(res.headers.get('retry-after'));
          retry(after > 0 ? Math.min(after, 300) * 1000 : 0);
        }
      })
      .catch(function () {
        retry(0);
      });
  }
  function retry(atLeastMs) {
    failures = Math.min(failures + 1, 6);
    if (!timer)
      timer = setTimeout(
        function () {
          flush(false);
        },
        Math.max(atLeastMs, 1000 * Math.pow(2, failures) * Math.random() + 500),
      );
  }
  function page() {
    if (location.href === lastUrl) return;
    lastUrl = location.href;
    enqueue({
      type: 'page',
      name: d.title,
      properties: {
        url: location.href,
        path: location.pathname,
        referrer: d.referrer,
        title: d.title,
      },
    });
  }

  var api = {
    loaded: true,
    page: page,
    track: function (name, properties) {
      enqueue({ type: 'track', event: String(name), properties: properties || {} });
    },
    identify: function (id, traits) {
      userId = String(id);
      keep(UID, userId);
      enqueue({ type: 'identify', traits: traits || {} });
    },
    flush: function () {
      flush(false);
    },
    anonymousId: function () {
      return anonymousId;
    },
  };
  w.pathcast = api;

  ['pushState', 'replaceState'].forEach(function (name) {
    var original = history[name];
    history[name] = function () {
      var result = original.apply(this, arguments);
      setTimeout(page, 0);
      return result;
    };
  });
  w.addEventListener('popstate', page);
  d.addEventListener('visibilitychange', function () {
    if (d.visibilityState === 'hidden') flush(true);
  });
  w.addEventListener('pagehide', function () {
    flush(true);
  });

  for (var i = 0; i < queued.length; i++) {
    var call = queued[i];
    if (api[call[0]]) api[call[0]].apply(null, call[1] || []);
  }
  page();
  if (queue.length) flush(false);
})(window, document);
