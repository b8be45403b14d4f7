// anju 安居: the little JavaScript of the web pages. Forms are sent to the
// JSON API of the same server (the session cookie goes along); nothing is
// loaded from any other host. Numbers are sent as the text typed, so the
// server keeps their exact decimal digits.
'use strict';
(function () {
  const $ = (s, r) => (r || document).querySelector(s);
  const $$ = (s, r) => Array.from((r || document).querySelectorAll(s));

  // The API's field names, as a clerk reads them.
  const FIELD = {
    value: '数值', numerator: '分子', denominator: '分母', period: '期间',
    indicator: '指标', org_unit: '填报单位', target: '目标值', year: '年份',
    effective: '生效月份', reason: '理由', as_of: '月份', username: '用户名',
    password: '密码', role: '角色', old_password: '原密码', new_password: '新密码',
    title: '督办事项', lead: '牵头单位', co_units: '配合单位', due: '办理时限', urgency: '紧急程度',
    'source.kind': '来源', 'source.date': '日期', 'source.ref': '会议名称或文号',
    progress: '办理情况', difficulties: '存在困难', next_steps: '下一步打算', percent: '完成百分比',
    note: '说明', text: '内容', decision: '复核意见', unit: '单位',
    name: '名称', type: '项目类型', town: '镇(街道)', planned_completion: '计划竣工日期',
    planned_investment: '计划总投资', contribution: '计入指标的数量', stage: '阶段',
    invested: '本月完成投资', photo: '照片', actual: '实际完成日期', month: '月份',
    task: '重点任务', deadline: '完成时限', owner: '牵头单位', milestones: '时间节点', done: '完成日期', file: '附件', phases: '阶段'
  };
  // "values[2].numerator: …" or "target: …" in words: "分子:…".
  function human(m) {
    return String(m).replace(/^(?:values\[\d+\]\.)?([a-z_.]+?)(?:\[\d+\])?: /, (all, f) => FIELD[f] ? FIELD[f] + ':' : all);
  }

  function describe(data, status) {
    if (data && data.error) {
      let m = human(data.error.message);
      if (Array.isArray(data.error.rows) && data.error.rows.length) {
        m += ':' + data.error.rows.map(r =>
          (r.sheet ? r.sheet + ' ' : '') + (r.row ? '第 ' + r.row + ' 行' : '') +
          (r.cell ? ' ' + r.cell : (r.column ? ' ' + (FIELD[r.column] || r.column) : '')) + ':' + r.message).join(';');
      }
      return m;
    }
    if (status === 401) return '登录已失效,请重新登录';
    return '请求失败(' + status + ')';
  }

  async function api(method, url, body, multipart) {
    const opt = { method: method, credentials: 'same-origin', headers: {} };
    if (multipart) {
      opt.body = body;
    } else if (body !== undefined) {
      opt.headers['content-type'] = 'application/json';
      opt.body = JSON.stringify(body);
    }
    const r = await fetch(url, opt);
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!r.ok) {
      const err = new Error(describe(data, r.status));
      err.status = r.status;
      err.data = data;
      err.raw = data && data.error ? String(data.error.message) : '';
      throw err;
    }
    return data;
  }

  function say(el, msg, ok) {
    if (!el) return;
    el.textContent = msg;
    el.classList.toggle('ok', !!ok);
    el.classList.toggle('bad', !ok);
  }

  // An expired login: say so and offer the login page in a new window,
  // keeping what was typed on this one (a click again then sends it).
  function toLogin(e, el) {
    if (!e || e.status !== 401 || !el) return;
    el.textContent = '登录已失效。请';
    const a = document.createElement('a');
    a.href = '/login?next=' + encodeURIComponent('/');
    a.target = '_blank';
    a.rel = 'noopener';
    a.textContent = '在新窗口中重新登录';
    el.appendChild(a);
    el.appendChild(document.createTextNode(',然后回到本页再点一次(已填写的内容仍在)。'));
  }

  // Any <form data-api="/api/…">: its fields as JSON (or multipart), sent
  // with data-method (POST by default); data-reload reloads on success.
  $$('form[data-api]').forEach(f => f.addEventListener('submit', async ev => {
    ev.preventDefault();
    const status = $('.status', f);
    const multipart = 'multipart' in f.dataset;
    let body;
    if (multipart) {
      body = new FormData(f);
    } else {
      body = {};
      for (const el of f.elements) {
        if (!el.name || el.disabled) continue;
        if (el.type === 'checkbox') { body[el.name] = el.checked; continue; }
        let v = el.value;
        if (v === '') continue;
        if ('bool' in el.dataset) v = v === 'true';
        else if ('number' in el.dataset) v = Number(v);
        // "source.kind" → {source: {kind: …}}.
        const path = el.name.split('.');
        let at = body;
        while (path.length > 1) { const k = path.shift(); at = at[k] = at[k] || {}; }
        at[path[0]] = v;
      }
    }
    const buttons = $$('button', f);
    buttons.forEach(b => { b.disabled = true; });
    say(status, '正在处理…', true);
    try {
      const data = await api(f.dataset.method || 'POST', f.dataset.api, body, multipart);
      // A warning the server kept with what it stored (a photo without EXIF …).
      const flags = data && Array.isArray(data.flags) ? data.flags : [];
      say(status, flags.length ? '已提交。提示:' + flags.join(';') : '已完成', true);
      if ('go' in f.dataset && data && data.id) location.href = f.dataset.go + data.id;
      else if ('reload' in f.dataset) setTimeout(() => location.reload(), flags.length ? 2500 : 0);
    } catch (e) {
      say(status, e.message, false);
      toLogin(e, status);
    } finally {
      buttons.forEach(b => { b.disabled = false; });
    }
  }));

  // The reporting form: warnings as one types, save as draft, submit.
  const rf = $('#report-form');
  if (rf) {
    rf.addEventListener('submit', ev => ev.preventDefault());
    const fields = $$('fieldset.field', rf);
    const status = $('#report-status');
    const num = s => {
      // Full-width digits and signs (a Chinese IME's ３．５) read as the
      // server reads them.
      s = (s || '').trim().replace(/[０-９．－，]/g, c => String.fromCharCode(c.charCodeAt(0) - 0xFEE0)).replace(/,/g, '');
      if (s === '') return null;
      const x = Number(s);
      return Number.isFinite(x) ? x : NaN;
    };
    const check = fs => {
      const ul = $('.warnings', fs);
      ul.textContent = '';
      const warn = m => { const li = document.createElement('li'); li.textContent = '⚠ ' + m; ul.appendChild(li); };
      let v;
      if (fs.dataset.ratio === '1') {
        const n = num($('[name=numerator]', fs).value);
        const d = num($('[name=denominator]', fs).value);
        const rate = $('.rate', fs);
        rate.textContent = '';
        if (n === null && d === null) return;
        if (n === null || d === null) { warn('比率指标须同时填写分子和分母'); return; }
        if (Number.isNaN(n) || Number.isNaN(d)) { warn('请填写数字'); return; }
        if (d === 0) { warn('分母不能为 0'); return; }
        const m = Number(fs.dataset.mult || '1');
        v = n / d * m;
        rate.textContent = '比率约 ' + (Math.round(v * 100) / 100) + '(保存后由系统精确计算)';
        if (n < 0 || d < 0) { warn('不能为负数'); return; }
        if (m === 100 && n > d) warn('分子大于分母,比率超过 100%,请核对');
      } else {
        v = num($('[name=value]', fs).value);
        if (v === null) return;
        if (Number.isNaN(v)) { warn('请填写数字'); return; }
        if (v < 0) { warn('不能为负数'); return; }
      }
      if (!fs.dataset.last) return;
      // A year-to-date value starts again each January: no comparison
      // across years (as anju_core::validate).
      if (fs.dataset.kind === 'flow' && fs.dataset.sameYear !== '1') return;
      const last = Number(fs.dataset.last);
      const lp = fs.dataset.lastPeriod;
      const kind = fs.dataset.kind;
      if (!Number.isFinite(last)) return;
      if (last !== 0 && v > last * 10) {
        warn('是上期(' + lp + ')' + fs.dataset.last + ' 的 ' + (v / last).toFixed(1) + ' 倍,可能单位有误');
      } else if (v !== 0 && v * 10 < last) {
        warn('不到上期(' + lp + ')' + fs.dataset.last + ' 的十分之一,可能单位有误');
      } else if (v < last && (kind === 'cumulative' || kind === 'milestone' ||
                 (kind === 'flow' && fs.dataset.sameYear === '1'))) {
        warn((kind === 'flow' ? '本年累计值' : '累计值') + '低于上期(' + lp + ')' + fs.dataset.last + ',请核对');
      }
    };
    fields.forEach(fs => {
      $$('input', fs).forEach(i => i.addEventListener('input', () => check(fs)));
      check(fs);
      // 沿用上期: last month's approved figure, as entered (to change if need be).
      const done = $('.use-completed', fs);
      if (done) done.addEventListener('click', () => {
        const input = $('input[name=value]:not([readonly])', fs);
        if (input) input.value = done.dataset.value;
        check(fs);
      });
      const copy = $('.copy-last', fs);
      if (copy) copy.addEventListener('click', () => {
        for (const name of ['value', 'numerator', 'denominator']) {
          const input = $('input[name=' + name + ']:not([readonly])', fs);
          if (input && copy.dataset[name]) input.value = copy.dataset[name];
        }
        check(fs);
      });
    });
    // The fieldsets in the order their figures were sent, to point an
    // error of the API ("values[2]…") at its field.
    let sent = [];
    const collect = () => {
      const out = [];
      const errors = [];
      sent = [];
      fields.forEach(fs => fs.removeAttribute('aria-invalid'));
      for (const fs of fields) {
        if (fs.dataset.editable !== '1') continue;
        const base = { indicator: Number(fs.dataset.code), org_unit: rf.dataset.org, period: rf.dataset.period };
        if (fs.dataset.ratio === '1') {
          const n = $('[name=numerator]', fs).value.trim();
          const d = $('[name=denominator]', fs).value.trim();
          if (!n && !d) continue;
          if (!n || !d) { errors.push('指标 ' + base.indicator + ':须同时填写分子和分母'); continue; }
          out.push(Object.assign(base, { numerator: n, denominator: d }));
          sent.push(fs);
        } else {
          const v = $('[name=value]', fs).value.trim();
          if (!v) continue;
          out.push(Object.assign(base, { value: v }));
          sent.push(fs);
        }
      }
      if (errors.length) throw new Error(errors.join(';'));
      if (!out.length) throw new Error('还没有填写任何数据');
      return out;
    };
    // A correction of an approved figure: a new version with its reason.
    $$('details.correct', rf).forEach(d => {
      const button = $('.send-correction', d);
      const out = $('.status', d);
      button.addEventListener('click', async () => {
        const body = {};
        for (const input of $$('input', d)) {
          const v = input.value.trim();
          if (v) body[input.name] = v;
        }
        if (!body.reason) { say(out, '请写明更正理由', false); return; }
        button.disabled = true;
        try {
          await api('POST', '/api/v1/values/' + d.dataset.id + '/correct', body);
          say(out, '已提交更正,等待审核', true);
          setTimeout(() => location.reload(), 600);
        } catch (e) {
          say(out, e.message, false);
          toLogin(e, out);
          button.disabled = false;
        }
      });
    });
    const save = async () => (await api('POST', '/api/v1/values', { values: collect() })).values;
    const run = async (button, work) => {
      const buttons = $$('.actions button', rf);
      buttons.forEach(b => { b.disabled = true; });
      say(status, '正在处理…', true);
      try {
        await work();
      } catch (e) {
        let message = e.message;
        const m = /values\[(\d+)\]/.exec(e.raw || message);
        const fs = m && sent[Number(m[1])];
        if (fs) {
          message = '指标 ' + fs.dataset.code + ':' + message.replace(/values\[\d+\]\.?/, '');
          fs.setAttribute('aria-invalid', 'true');
          const input = fs.querySelector('input');
          if (input) input.focus();
        }
        say(status, message, false);
        toLogin(e, status);
      } finally {
        buttons.forEach(b => { b.disabled = false; });
      }
    };
    const saveButton = $('#save-draft');
    if (saveButton) saveButton.addEventListener('click', () => run(saveButton, async () => {
      const saved = await save();
      say(status, '已保存 ' + saved.length + ' 项草稿', true);
    }));
    const submitButton = $('#submit-report');
    if (submitButton) submitButton.addEventListener('click', () => run(submitButton, async () => {
      const saved = await save();
      const ids = saved.map(v => v.id);
      try {
        await api('POST', '/api/v1/values/submit', { ids: ids });
      } catch (e) {
        // The server's warnings (a tenfold jump, a falling total …): the
        // clerk confirms them, or goes back to the figures.
        const list = e.status === 409 && e.data && e.data.error && e.data.error.warnings;
        if (!list) throw e;
        const lines = list.map(w => '指标 ' + w.indicator + ':' + w.warnings.join(';'));
        list.forEach(w => {
          const fs = $('#f' + w.indicator, rf);
          if (fs) fs.setAttribute('aria-invalid', 'true');
        });
        if (!window.confirm('有 ' + list.length + ' 项提示:\n' + lines.join('\n') + '\n\n核对无误、确认提交?')) {
          say(status, '未提交:已存为草稿,请核对有提示的 ' + list.length + ' 项', false);
          return;
        }
        await api('POST', '/api/v1/values/submit', { ids: ids, confirm_warnings: true });
      }
      say(status, '已提交 ' + saved.length + ' 项,等待审核', true);
      setTimeout(() => location.reload(), 600);
    }));
    const withdrawButton = $('#withdraw');
    if (withdrawButton) withdrawButton.addEventListener('click', () => run(withdrawButton, async () => {
      const ids = withdrawButton.dataset.ids.split(',').map(Number);
      await api('POST', '/api/v1/values/withdraw', { ids: ids });
      say(status, '已撤回 ' + ids.length + ' 项,可修改后重新提交', true);
      setTimeout(() => location.reload(), 600);
    }));
  }

  // The cockpit on a phone: the towns' red and yellow lights on request.
  const more = $('#more-alerts');
  if (more) more.addEventListener('click', () => {
    const list = $('#alert-list');
    const all = list.classList.toggle('all');
    more.textContent = all ? '收起各镇街的 ' + more.dataset.n + ' 项' : '显示其余 ' + more.dataset.n + ' 项(各镇街)';
  });

  // The target adjustment form: the target in force for what is picked.
  const current = $('#adj-current');
  if (current) {
    let targets = {};
    try { targets = JSON.parse(current.dataset.targets || '{}'); } catch (e) { targets = {}; }
    const show = () => {
      const key = $('#adj-ind').value + '|' + $('#adj-org').value + '|' + $('#adj-year').value;
      current.textContent = targets[key] ? '现行目标:' + targets[key] : '该单位该年度尚无目标';
    };
    ['#adj-ind', '#adj-org', '#adj-year'].forEach(id => $(id).addEventListener('change', show));
    show();
  }

  // The review queue: approve or return the ticked figures.
  const rv = $('#review-form');
  if (rv) {
    const status = $('#review-status');
    const all = $('#check-all');
    // Select all: the rows shown (a filter narrows them first).
    if (all) all.addEventListener('change', () => {
      $$('#queue tbody tr:not([hidden]) input[name=id]:not(:disabled)', rv).forEach(c => { c.checked = all.checked; });
    });
    const only = $('#only-flagged');
    const pick = id => { const el = $(id); return el ? el.value : ''; };
    const filter = () => {
      const org = pick('#f-org'), ind = pick('#f-ind'), period = pick('#f-period');
      let shown = 0;
      $$('#queue tbody tr', rv).forEach(tr => {
        const hide = (only && only.checked && !tr.dataset.flagged) ||
          (org && tr.dataset.org !== org) || (ind && tr.dataset.ind !== ind) ||
          (period && tr.dataset.period !== period);
        tr.hidden = hide;
        if (hide) { const c = $('input[name=id]', tr); if (c) c.checked = false; } else shown++;
      });
      const n = $('#f-count');
      if (n) n.textContent = '显示 ' + shown + ' 项';
    };
    if (only) only.addEventListener('change', filter);
    ['#f-org', '#f-ind', '#f-period'].forEach(id => { const el = $(id); if (el) el.addEventListener('change', filter); });
    const act = async kind => {
      const picked = $$('input[name=id]:checked', rv).filter(c => !c.closest('tr').hidden);
      const ids = picked.map(c => Number(c.value));
      if (!ids.length) { say(status, '请先勾选数据', false); return; }
      const flagged = picked.filter(c => c.dataset.flagged).length;
      if (kind === 'approve' && flagged > 0 &&
          !window.confirm('所选 ' + ids.length + ' 项中有 ' + flagged + ' 项有异常提示(如数值是上期的十倍、累计值下降)。确认逐项核对过并批准?')) {
        say(status, '未批准:请核对有异常提示的数据', false);
        return;
      }
      const body = { ids: ids };
      if (kind === 'return') {
        const reason = $('#return-reason').value.trim();
        if (!reason) { say(status, '退回须写明理由', false); $('#return-reason').focus(); return; }
        body.reason = reason;
      }
      const buttons = $$('.actions button', rv);
      buttons.forEach(b => { b.disabled = true; });
      try {
        await api('POST', '/api/v1/values/' + kind, body);
        say(status, (kind === 'approve' ? '已批准 ' : '已退回 ') + ids.length + ' 项', true);
        setTimeout(() => location.reload(), 600);
      } catch (e) {
        say(status, e.message, false);
        toLogin(e, status);
        buttons.forEach(b => { b.disabled = false; });
      }
    };
    $('#approve-selected').addEventListener('click', () => act('approve'));
    $('#return-selected').addEventListener('click', () => act('return'));
  }
})();
