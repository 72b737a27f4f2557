// Palisade console and portal: a few behaviours on top of plain HTML forms and links.
// Everything works without this file except the live log, the copy button and the usage bars.
(function () {
  'use strict';

  // <form data-confirm="question">: ask before anything destructive is submitted.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // <form data-busy="text">: a long upload (an image archive) shows that it is under way and
  // cannot be sent twice; the page that answers shows the outcome.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var text = form.getAttribute('data-busy');
    if (!text || event.defaultPrevented) {
      return;
    }
    var note = form.querySelector('[data-busy-note]');
    if (note) {
      note.textContent = text;
    }
    form.setAttribute('aria-busy', 'true');
    form.querySelectorAll('button[type=submit]').forEach(function (b) { b.disabled = true; });
  });

  // <form data-upload-progress="progress-id">: sent by script so that the <progress> shows how
  // much of the file is up; the page the server answers with is then shown as a form's would be.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var barId = form.getAttribute('data-upload-progress');
    if (!barId || event.defaultPrevented || !window.XMLHttpRequest || !window.FormData) {
      return;
    }
    event.preventDefault();
    var bar = document.getElementById(barId);
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.upload.addEventListener('progress', function (e) {
      if (e.lengthComputable && bar) {
        bar.hidden = false;
        bar.value = Math.round(100 * e.loaded / e.total);
      }
    });
    // the answer is the page the upload redirected to, flash message included: show it as it is
    xhr.addEventListener('load', function () {
      if (xhr.responseURL && window.history.replaceState) {
        window.history.replaceState(null, '', xhr.responseURL);
      }
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener('error', function () {
      form.submit();
    });
    form.querySelectorAll('button[type=submit]').forEach(function (b) { b.disabled = true; });
    xhr.send(new FormData(form));
  });

  // <button data-copy="input-id" data-copied="Copied">: copy that input's value.
  document.addEventListener('click', function (event) {
    var button = event.target.closest('[data-copy]');
    if (!button) {
      return;
    }
    var input = document.getElementById(button.getAttribute('data-copy'));
    var done = function () {
      button.textContent = button.getAttribute('data-copied') || 'Copied';
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        input.select();
        document.execCommand('copy');
        done();
      });
    } else {
      input.select();
      document.execCommand('copy');
      done();
    }
  });

  // <span class="meter-fill" data-percent="n">: a usage bar's width. Set here rather than in a
  // style attribute, which the pages' Content-Security-Policy does not run.
  document.querySelectorAll('[data-percent]').forEach(function (bar) {
    var percent = Math.max(0, Math.min(100, parseFloat(bar.getAttribute('data-percent')) || 0));
    bar.style.width = percent + '%';
  });

  // <main data-refresh="seconds">: reload while something on the page is still active
  // (the server only sets it then), and only while the page is visible.
  var main = document.querySelector('main[data-refresh]');
  if (main) {
    var seconds = parseInt(main.getAttribute('data-refresh'), 10) || 5;
    window.setInterval(function () {
      if (document.visibilityState === 'visible') {
        window.location.reload();
      }
    }, seconds * 1000);
  }

  // <pre data-log-src="url">: follow a workload's log as the program writes it (server-sent
  // events). Lines are appended as text nodes, so whatever the program prints stays text.
  var log = document.querySelector('pre[data-log-src]');
  if (log && window.EventSource) {
    var status = document.getElementById(log.getAttribute('data-status') || '');
    var source = new EventSource(log.getAttribute('data-log-src'));
    var follow = true;
    log.addEventListener('scroll', function () {
      follow = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    });
    // each line its own element, so that the search box can show only the lines that contain its text
    var search = document.querySelector('input[data-log-search]');
    var matches = function (line) {
      return !search || !search.value || line.textContent.toLowerCase().indexOf(search.value.toLowerCase()) >= 0;
    };
    if (search) {
      search.addEventListener('input', function () {
        Array.prototype.forEach.call(log.children, function (line) { line.hidden = !matches(line); });
      });
    }
    // an event's id is seq:offset, then :millis:stream for a line stored with its time and stream
    var append = function (text, id) {
      var line = document.createElement('span');
      line.className = 'log-line';
      var parts = (id || '').split(':');
      if (parts.length >= 4 && /^[0-9]+$/.test(parts[2])) {
        var at = new Date(Number(parts[2]));
        var time = document.createElement('time');
        time.className = 'log-time';
        time.dateTime = at.toISOString();
        time.title = at.toISOString();
        time.textContent = at.toISOString().substring(11, 23) + ' ';
        line.appendChild(time);
        if (/^[a-z]+$/.test(parts[3])) {
          line.className += ' log-' + parts[3];
        }
      }
      line.appendChild(document.createTextNode(text));
      line.hidden = !matches(line);
      log.appendChild(line);
      if (follow) {
        log.scrollTop = log.scrollHeight;
      }
    };
    source.addEventListener('log', function (event) {
      append(event.data + '\n', event.lastEventId);
    });
    source.onmessage = function (event) {
      append(event.data + '\n');
    };
    // "STATE Label": the state badge on the page follows the workload
    source.addEventListener('state', function (event) {
      var space = event.data.indexOf(' ');
      var state = event.data.substring(0, space);
      var badge = document.querySelector('[data-state-badge]');
      if (badge && /^[A-Z_]+$/.test(state)) {
        badge.className = 'badge badge-' + state.toLowerCase();
        badge.textContent = event.data.substring(space + 1);
      }
    });
    source.addEventListener('end', function (event) {
      source.close();
      if (status) {
        status.textContent = status.getAttribute('data-ended') || '';
      }
      if (log.hasAttribute('data-reload-on-end')) {
        window.setTimeout(function () { window.location.reload(); }, 800);
      }
    });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED && status) {
        status.textContent = status.getAttribute('data-ended') || '';
      }
    };
  }
})();
