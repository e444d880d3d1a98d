// Shows how many items are in the reader's basket next to the header's "Basket" link.
// Pages are cached whole for every reader, so the count is fetched separately, and only by
// browsers that have a basket (the masthead_basket cookie says so).
(function () {
  "use strict";
  if (!/(?:^|;\s*)masthead_basket=1(?:;|$)/.test(document.cookie)) {
    return;
  }
  var count = document.querySelector("[data-basket-count]");
  if (!count || !window.fetch) {
    return;
  }
  fetch(count.getAttribute("data-basket-count"), { credentials: "same-origin" })
    .then(function (response) {
      return response.ok ? response.json() : null;
    })
    .then(function (data) {
      if (data && data.count > 0) {
        count.textContent = String(data.count);
        count.hidden = false;
      }
    })
    .catch(function () {});
})();
