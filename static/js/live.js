/* Live updates over Socket.IO: new comments, votes and status on an open issue page, changed issues on
   the map, and the notification badge. If the socket cannot connect, the pages still work as they are. */
(function () {
  "use strict";
  if (!window.io) return;
  var socket = window.io({ transports: ["websocket", "polling"] });
  window.civicSocket = socket;

  function plural(el, n) {
    // data-one / data-many hold the translated sentences for 1 and for 2; swap in the real number.
    var template = n === 1 ? el.dataset.one : el.dataset.many;
    el.textContent = template.replace(/\d+/, String(n));
  }

  // --- notification badge ----------------------------------------------------------------------
  var badge = document.querySelector("[data-unread-count]");
  var badgeLabel = document.querySelector("[data-unread-label]");
  socket.on("notifications", function (data) {
    if (!badge) return;
    badge.textContent = String(data.unread);
    badge.hidden = data.unread === 0;
    if (badgeLabel) badgeLabel.textContent = data.unread ? "(" + data.unread + ")" : "";
  });

  // --- an issue page ---------------------------------------------------------------------------
  var issue = document.querySelector("[data-live-issue]");
  if (issue) {
    var issueId = parseInt(issue.dataset.liveIssue, 10);
    socket.on("connect", function () { socket.emit("watch_issue", { issue_id: issueId }); });
    var votes = document.getElementById("vote-count");
    var list = document.querySelector("ol.comments");
    var heading = document.getElementById("comments-heading");
    var announcer = document.getElementById("live-announcer");

    socket.on("upvotes", function (data) {
      if (data.issue_id === issueId && votes) plural(votes, data.upvotes);
    });

    function fillComment(li, comment) {
      li.replaceChildren();
      if (comment.deleted) {
        var removed = document.createElement("p");
        removed.className = "muted";
        removed.textContent = list.dataset.removed;
        li.appendChild(removed);
        return;
      }
      var meta = document.createElement("p");
      meta.className = "comment__meta";
      li.classList.toggle("comment--official", Boolean(comment.official));
      if (comment.official) {
        var badge = document.createElement("span");
        badge.className = "official-badge";
        badge.textContent = list.dataset.official;
        meta.appendChild(badge);
      }
      var author = document.createElement("span");
      author.className = "comment__author";
      var who = document.createElement("strong");
      // No name: a private one ("a neighbour", in the page's language) or a removed account.
      who.textContent = comment.author || (comment.former ? list.dataset.former : list.dataset.neighbour);
      author.appendChild(who);
      meta.appendChild(author);
      if (comment.official && comment.department && comment.department !== comment.author) {
        meta.append(" · " + comment.department);
      }
      var when = document.createElement("time");
      when.dateTime = comment.created_at;
      when.textContent = new Date(comment.created_at).toLocaleString(document.documentElement.lang,
        { dateStyle: "short", timeStyle: "short", timeZone: document.body.dataset.tz || undefined });
      meta.append(" · ", when);
      var body = document.createElement("div");
      body.className = "comment__body";
      body.innerHTML = comment.body_html;  // sanitised on the server (civic/text.py)
      li.append(meta, body);
      comment.photos.forEach(function (photo) {
        var link = document.createElement("a");
        link.href = photo.url;
        var img = document.createElement("img");
        img.className = "comment__photo";
        img.src = photo.thumbnail;
        img.alt = list.dataset.photoAlt;
        link.appendChild(img);
        li.appendChild(link);
      });
    }

    socket.on("comment", function (data) {
      if (data.issue_id !== issueId || !list) return;
      if (heading) plural(heading, data.comments);
      if (document.getElementById("comment-" + data.comment.id)) return;
      var li = document.createElement("li");
      li.className = "comment";
      li.id = "comment-" + data.comment.id;
      fillComment(li, data.comment);
      list.appendChild(li);
      if (announcer) {
        announcer.textContent = data.comment.author
          ? list.dataset.newComment.replace("{name}", data.comment.author)
          : list.dataset.newCommentNeighbour;
      }
    });

    socket.on("comment_changed", function (data) {
      var li = document.getElementById("comment-" + data.comment.id);
      if (data.issue_id === issueId && li) fillComment(li, data.comment);
    });

    socket.on("ticket", function (data) {
      var ticket = document.getElementById("ticket-status");
      if (data.issue_id !== issueId || !ticket) return;
      // The server renders the line with the page's own partial (escaped there); the live region stays.
      var box = document.createElement("div");
      box.innerHTML = data.html;
      var line = box.querySelector("#ticket-status");
      if (line) ticket.innerHTML = line.innerHTML;
    });

    socket.on("status", function (data) {
      var badgeEl = document.querySelector(".issue__meta .status");
      if (data.issue_id !== issueId || !badgeEl) return;
      badgeEl.className = "status status--" + data.status;
      badgeEl.lastChild.textContent = data.label;
      if (announcer) announcer.textContent = data.label;
    });
  }

  // --- the city map ----------------------------------------------------------------------------
  if (window.civicMap) {
    var map = window.civicMap.map;
    var timer = null;
    var watch = function () {
      var b = map.getBounds();
      socket.emit("watch_area", { bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] });
    };
    socket.on("connect", watch);
    map.on("moveend", watch);
    socket.on("issue_changed", function () {
      clearTimeout(timer);
      timer = setTimeout(window.civicMap.reload, 400);  // a burst of changes costs one reload
    });
  }
})();
