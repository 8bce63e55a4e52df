/* Draws the dashboard's charts: every <div data-chart="…"> inside #dashboard gets the
   series of that name from the JSON at #dashboard's data-url. No inline script (CSP). */
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root || typeof window.echarts === "undefined") { return; }
  var label = function (name) { return root.getAttribute("data-label-" + name) || name; };
  var compact = new Intl.NumberFormat(document.documentElement.lang || undefined,
                                      { notation: "compact", maximumFractionDigits: 1 });
  var short = { formatter: function (value) { return compact.format(value); } };
  var shortDays = function (days) { return days.map(function (d) { return d.slice(5); }); };
  var axes = function (days) {
    return {
      tooltip: { trigger: "axis" },
      grid: { left: 56, right: 16, top: 40, bottom: 28 },
      xAxis: { type: "category", data: shortDays(days) },
      yAxis: { type: "value", axisLabel: short }
    };
  };
  var builders = {
    revenue: function (data) {
      var option = axes(data.revenue.days);
      option.legend = { top: 0, data: [label("paid"), label("refunded"), label("net")] };
      option.series = [
        { name: label("paid"), type: "bar", data: data.revenue.paid.map(Number) },
        { name: label("refunded"), type: "bar", data: data.revenue.refunded.map(Number) },
        { name: label("net"), type: "line", data: data.revenue.net.map(Number) }
      ];
      return option;
    },
    funnel: function (data) {
      return {
        tooltip: { trigger: "item" },
        series: [{ name: label("opportunities"), type: "funnel", sort: "none", gap: 2,
                   left: "10%", width: "80%", top: 8, bottom: 8,
                   label: { position: "inside", formatter: "{b}: {c}", color: "#fff" },
                   data: data.funnel.map(function (s) { return { name: s.stage, value: s.count }; }) }]
      };
    },
    customers: function (data) {
      var option = axes(data.customers.days);
      option.series = [{ name: label("customers"), type: "bar", data: data.customers.counts }];
      return option;
    },
    leads: function (data) {
      var option = axes(data.leads.days);
      option.legend = { top: 0, data: [label("created"), label("converted")] };
      option.series = [
        { name: label("created"), type: "bar", data: data.leads.created },
        { name: label("converted"), type: "bar", data: data.leads.converted }
      ];
      return option;
    },
    products: function (data) {
      var rows = data.top_products.slice().reverse();
      return {
        tooltip: { trigger: "axis" },
        grid: { left: 110, right: 16, top: 16, bottom: 28 },
        xAxis: { type: "value", splitNumber: 3, axisLabel: short },
        yAxis: { type: "category", data: rows.map(function (p) { return p.name; }) },
        series: [{ name: label("amount"), type: "bar", data: rows.map(function (p) { return Number(p.amount); }) }]
      };
    }
  };
  var charts = [];
  fetch(root.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
    .then(function (data) {
      root.querySelectorAll("[data-chart]").forEach(function (element) {
        var build = builders[element.getAttribute("data-chart")];
        if (!build) { return; }
        element.classList.add("drawn");  /* sized first: ECharts measures the element */
        var chart = window.echarts.init(element);
        chart.setOption(build(data));
        charts.push(chart);
      });
    })
    .catch(function () { /* the server-rendered figures and tables stay */ });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
