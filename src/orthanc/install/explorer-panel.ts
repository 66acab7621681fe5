/**
 * The "AI findings" panel added to Orthanc Explorer's study page by the
 * Python hook (orthanc.ExtendOrthancExplorer; Orthanc serves the code at
 * /plugins/explorer.js, which explorer.html loads after its own script).
 *
 * The page is served by Orthanc, so the panel reads RadZ's flags through
 * Orthanc's own REST API (same origin, the user's Orthanc session): the study
 * metadata RadZ writes on Orthanc < 1.12 and, on 1.12+, labels with RadZ's
 * prefix. It links to the RadZ worklist. Text is inserted with jQuery's
 * .text(), never as HTML, so a metadata value cannot inject markup.
 */

export interface ExplorerPanelOptions {
  /** The RadZ worklist as the users' browsers reach it. */
  readonly worklistUrl: string;
  /** Study metadata names (config flags.metadata). */
  readonly metadata: {
    readonly priority: string;
    readonly findings: string;
    readonly status: string;
    readonly result: string;
  };
  /** Label prefix (config flags.labelPrefix). */
  readonly labelPrefix: string;
}

/** Element id of the panel (tests look for it). */
export const EXPLORER_PANEL_ID = "radz-findings";
/** A line that marks RadZ's code inside /plugins/explorer.js. */
export const EXPLORER_MARKER = "RadZ AI findings panel";

export function explorerPanelScript(o: ExplorerPanelOptions): string {
  const settings = JSON.stringify({
    worklistUrl: o.worklistUrl,
    metadata: o.metadata,
    labelPrefix: o.labelPrefix,
    panelId: EXPLORER_PANEL_ID,
  });
  return `/* ${EXPLORER_MARKER} (written by \`radz orthanc install --hook python\`). */
(function () {
  var RADZ = ${settings};

  function findings(value) {
    // "pneumothorax=0.93;nodule=0.61" -> [{label, probability}]
    var out = [];
    if (!value) return out;
    value.split(';').forEach(function (part) {
      part = part.trim();
      if (!part) return;
      var eq = part.lastIndexOf('=');
      var p = eq > 0 ? parseFloat(part.slice(eq + 1)) : NaN;
      out.push({ label: eq > 0 ? part.slice(0, eq) : part, probability: p });
    });
    return out;
  }

  function item(text, theme) {
    var li = $('<li>').text(text);
    if (theme) li.attr('data-theme', theme);
    return li;
  }

  function render(uuid, metadata, labels) {
    if (!$.mobile.pageData || $.mobile.pageData.uuid !== uuid) return;
    $('#' + RADZ.panelId).remove();
    var md = metadata || {};
    var priority = md[RADZ.metadata.priority] || null;
    var status = md[RADZ.metadata.status] || null;
    var ours = (labels || []).filter(function (l) { return l.indexOf(RADZ.labelPrefix) === 0; });
    if (!priority) {
      ['urgent', 'review'].forEach(function (p) {
        if (!priority && ours.indexOf(RADZ.labelPrefix + p) !== -1) priority = p;
      });
    }
    var list = $('<ul>')
      .attr('id', RADZ.panelId)
      .attr('data-role', 'listview')
      .attr('data-inset', 'true')
      .attr('data-theme', 'd')
      .attr('data-divider-theme', 'c');
    list.append($('<li>').attr('data-role', 'list-divider').text('AI findings (RadZ, unverified)'));
    if (!priority && !status && ours.length === 0 && !md[RADZ.metadata.findings]) {
      list.append(item('Not analysed by RadZ yet'));
    } else {
      list.append(item('Priority: ' + (priority || 'routine'), priority === 'urgent' ? 'e' : null)
        .addClass('radz-priority'));
      var found = findings(md[RADZ.metadata.findings]);
      found.forEach(function (f) {
        var p = isFinite(f.probability) ? ' ' + Math.round(f.probability * 100) + '%' : '';
        list.append(item(f.label + p).addClass('radz-finding'));
      });
      if (found.length === 0) {
        ours.forEach(function (l) {
          var name = l.slice(RADZ.labelPrefix.length);
          if (name !== 'urgent' && name !== 'review') list.append(item(name).addClass('radz-finding'));
        });
      }
      if (found.length === 0 && ours.length === 0) list.append(item('No positive finding'));
    }
    list.append($('<li>').attr('data-icon', 'arrow-r').append(
      $('<a>').attr('href', RADZ.worklistUrl).attr('target', '_blank').attr('rel', 'noopener')
        .text('Open the RadZ worklist')));
    list.append(item('Machine-generated, not for clinical use.').addClass('radz-disclaimer'));
    $('#study-info').after(list);
    list.listview();
  }

  $('#study').live('pagebeforeshow', function () {
    $('#' + RADZ.panelId).remove();
    var uuid = $.mobile.pageData && $.mobile.pageData.uuid;
    if (!uuid) return;
    var base = '../studies/' + encodeURIComponent(uuid);
    $.ajax({
      url: base + '/metadata?expand', dataType: 'json', cache: false,
      success: function (metadata) {
        $.ajax({
          url: base + '/labels', dataType: 'json', cache: false,
          success: function (labels) { render(uuid, metadata, labels); },
          error: function () { render(uuid, metadata, []); }  // Orthanc < 1.12: no labels
        });
      },
      error: function () { render(uuid, {}, []); }
    });
  });
})();
`;
}
