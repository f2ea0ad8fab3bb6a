// Labels in Chinese (the default) and English. Only the chosen language
// is remembered in localStorage; nothing else the pages see is stored.

const STORE_KEY = 'aigw.lang';

const zh = {
  'lang.switch': 'English',
  'nav.overview': '概览', 'nav.logs': '日志', 'nav.providers': '供应商', 'nav.clients': '客户端', 'nav.models': '模型',
  'nav.signout': '退出',
  'signin.title': '登录 aigw 控制台', 'signin.key': '管理密钥', 'signin.submit': '登录',
  'signin.hint': '填写配置文件 [auth] admin_keys 中的一个密钥。密钥只用于这次登录，不会保存在页面中。',
  'signin.bad': '管理密钥无效。',
  'common.loading': '加载中…', 'common.error': '出错了：', 'common.none': '无', 'common.refresh': '刷新',
  'common.save': '保存', 'common.cancel': '取消', 'common.confirm': '确认', 'common.close': '关闭',
  'common.name': '名称', 'common.requests': '请求', 'common.errors': '错误', 'common.tokens': 'Token',
  'common.cost': '费用', 'common.never': '永不', 'common.all': '全部', 'common.empty': '暂无数据',
  'ov.title': '概览', 'ov.requests': '请求数', 'ov.errorRate': '错误率', 'ov.tokens': 'Token 用量',
  'ov.cost': '费用', 'ov.latency': '延迟 p50', 'ov.ttft': '首字延迟 p50',
  'ov.tokensSub': '输入 {in} · 输出 {out}', 'ov.errorsSub': '{n} 个错误', 'ov.unpriced': '{n} 个请求没有价格，费用为下限',
  'ov.chartRequests': '请求与错误', 'ov.chartTokens': 'Token', 'ov.chartCost': '费用', 'ov.chartLatency': '延迟与首字延迟',
  'ov.prompt': '输入', 'ov.completion': '输出', 'ov.latP50': '延迟 p50', 'ov.latP95': '延迟 p95',
  'ov.ttftP50': '首字 p50', 'ov.ttftP95': '首字 p95',
  'ov.topModels': '热门模型', 'ov.topProviders': '供应商', 'ov.topClients': '客户端', 'ov.staticKeys': '（静态密钥）', 'ov.unresolved': '（未解析）',
  'ov.range': '时间范围', 'ov.1h': '1 小时', 'ov.24h': '24 小时', 'ov.7d': '7 天', 'ov.30d': '30 天',
  'logs.title': '请求日志', 'logs.from': '开始时间', 'logs.to': '结束时间', 'logs.model': '模型', 'logs.provider': '供应商',
  'logs.client': '客户端', 'logs.status': '状态码', 'logs.statusHint': '如 200、4xx', 'logs.requestId': '请求 ID',
  'logs.apply': '筛选', 'logs.reset': '清除', 'logs.follow': '实时跟踪', 'logs.older': '加载更早的记录',
  'logs.time': '时间', 'logs.latency': '延迟', 'logs.ttft': '首字', 'logs.tokens': 'Token（入/出）',
  'logs.noRows': '没有符合条件的日志。', 'logs.end': '已到最早的记录。',
  'logs.detail': '日志详情', 'logs.requestBody': '请求体', 'logs.responseBody': '响应体',
  'logs.noBody': '未保存（见 [logging] 的正文设置）', 'logs.error': '错误', 'logs.route': '路由', 'logs.tried': '尝试',
  'logs.key': '上游密钥', 'logs.clientKey': '客户端密钥', 'logs.ip': '客户端 IP', 'logs.bytes': '字节（入/出）',
  'logs.stream': '流式', 'logs.attempts': '尝试次数', 'logs.path': '路径', 'logs.format': '入站协议',
  'logs.upstreamModel': '上游模型', 'logs.cache': '缓存读/写', 'logs.reasoning': '推理 Token',
  'prov.title': '供应商', 'prov.type': '类型', 'prov.baseURL': '地址', 'prov.strategy': '策略', 'prov.responses': 'Responses',
  'prov.models': '模型数', 'prov.keys': '密钥', 'prov.key': '密钥', 'prov.state': '状态', 'prov.until': '直到',
  'prov.lastError': '最近错误', 'prov.test': '测试密钥', 'prov.testing': '测试中…', 'prov.testResults': '测试结果',
  'prov.ok': '正常', 'prov.cooling': '冷却中', 'prov.setAside': '已搁置', 'prov.latency': '耗时', 'prov.status': '状态码',
  'prov.routes': '路由', 'prov.targets': '目标', 'prov.weight': '权重', 'prov.healthy': '健康', 'prov.ejected': '已摘除至 {t}',
  'prov.noRoutes': '没有配置路由。', 'prov.fail': '失败', 'prov.unauthorized': '密钥无效', 'prov.rateLimited': '被限流', 'prov.unreachable': '无法连接',
  'cl.title': '客户端', 'cl.new': '新建客户端', 'cl.create': '创建', 'cl.name': '名称', 'cl.models': '允许的模型',
  'cl.modelsHint': '通配符，用逗号分隔；留空表示全部模型', 'cl.rpm': '每分钟请求 (RPM)', 'cl.tpm': '每分钟 Token (TPM)',
  'cl.budget': '预算', 'cl.period': '周期', 'cl.expires': '到期日', 'cl.note': '备注', 'cl.limitsHint': '0 或留空表示不限',
  'cl.day': '每天', 'cl.week': '每周', 'cl.month': '每月', 'cl.total': '总计', 'cl.noBudget': '无预算',
  'cl.keyHint': '密钥', 'cl.limits': '限制', 'cl.usage': '本期用量', 'cl.state': '状态', 'cl.actions': '操作',
  'cl.active': '启用', 'cl.disabled': '已停用', 'cl.expired': '已过期', 'cl.disable': '停用', 'cl.enable': '启用',
  'cl.rotate': '轮换密钥', 'cl.delete': '删除', 'cl.since': '自 {t}',
  'cl.keyOnce': '新密钥只显示这一次：请现在复制并妥善保存。关闭后无法再次查看，只能轮换。',
  'cl.keyFor': '客户端 {name} 的密钥', 'cl.copy': '复制', 'cl.copied': '已复制', 'cl.saved': '我已保存',
  'cl.confirmDelete': '删除客户端 {name}？它的密钥将立即失效，此操作不能撤销。',
  'cl.confirmRotate': '轮换客户端 {name} 的密钥？旧密钥将立即失效。',
  'cl.created': '已创建客户端 {name}', 'cl.noClients': '还没有客户端。',
  'mod.title': '模型', 'mod.catalog': '模型目录', 'mod.id': '模型 ID', 'mod.provider': '供应商', 'mod.model': '模型',
  'mod.source': '来源', 'mod.added': '添加时间', 'mod.remove': '移除', 'mod.aliases': '别名', 'mod.alias': '别名',
  'mod.target': '指向', 'mod.routes': '路由', 'mod.upstream': '从上游添加模型', 'mod.fetch': '获取上游列表',
  'mod.match': '匹配（通配符，可选）', 'mod.filter': '筛选', 'mod.add': '添加所选（{n}）', 'mod.selectAll': '全选可见',
  'mod.added2': '已添加 {n} 个模型', 'mod.have': '已在目录中', 'mod.filterCatalog': '筛选模型', 'mod.none': '没有模型。',
  'mod.owned': '所有者', 'mod.fromConfig': '配置文件', 'mod.fromCatalog': '已添加', 'mod.fetched': '上游共有 {n} 个模型',
};

const en = {
  'lang.switch': '中文',
  'nav.overview': 'Overview', 'nav.logs': 'Logs', 'nav.providers': 'Providers', 'nav.clients': 'Clients', 'nav.models': 'Models',
  'nav.signout': 'Sign out',
  'signin.title': 'Sign in to aigw', 'signin.key': 'Admin key', 'signin.submit': 'Sign in',
  'signin.hint': 'One of the keys in [auth] admin_keys of the config. It is used for this sign-in only and never kept by the page.',
  'signin.bad': 'That admin key is not valid.',
  'common.loading': 'Loading…', 'common.error': 'Error: ', 'common.none': 'none', 'common.refresh': 'Refresh',
  'common.save': 'Save', 'common.cancel': 'Cancel', 'common.confirm': 'Confirm', 'common.close': 'Close',
  'common.name': 'Name', 'common.requests': 'Requests', 'common.errors': 'Errors', 'common.tokens': 'Tokens',
  'common.cost': 'Cost', 'common.never': 'never', 'common.all': 'all', 'common.empty': 'No data',
  'ov.title': 'Overview', 'ov.requests': 'Requests', 'ov.errorRate': 'Error rate', 'ov.tokens': 'Tokens',
  'ov.cost': 'Cost', 'ov.latency': 'Latency p50', 'ov.ttft': 'TTFT p50',
  'ov.tokensSub': 'in {in} · out {out}', 'ov.errorsSub': '{n} errors', 'ov.unpriced': '{n} requests without a price: the cost is a lower bound',
  'ov.chartRequests': 'Requests and errors', 'ov.chartTokens': 'Tokens', 'ov.chartCost': 'Cost', 'ov.chartLatency': 'Latency and TTFT',
  'ov.prompt': 'Prompt', 'ov.completion': 'Completion', 'ov.latP50': 'Latency p50', 'ov.latP95': 'Latency p95',
  'ov.ttftP50': 'TTFT p50', 'ov.ttftP95': 'TTFT p95',
  'ov.topModels': 'Top models', 'ov.topProviders': 'Providers', 'ov.topClients': 'Clients', 'ov.staticKeys': '(static keys)', 'ov.unresolved': '(unresolved)',
  'ov.range': 'Range', 'ov.1h': '1 hour', 'ov.24h': '24 hours', 'ov.7d': '7 days', 'ov.30d': '30 days',
  'logs.title': 'Request log', 'logs.from': 'From', 'logs.to': 'To', 'logs.model': 'Model', 'logs.provider': 'Provider',
  'logs.client': 'Client', 'logs.status': 'Status', 'logs.statusHint': 'e.g. 200, 4xx', 'logs.requestId': 'Request ID',
  'logs.apply': 'Filter', 'logs.reset': 'Clear', 'logs.follow': 'Live follow', 'logs.older': 'Load older',
  'logs.time': 'Time', 'logs.latency': 'Latency', 'logs.ttft': 'TTFT', 'logs.tokens': 'Tokens (in/out)',
  'logs.noRows': 'No log rows match.', 'logs.end': 'That is the oldest row.',
  'logs.detail': 'Log detail', 'logs.requestBody': 'Request body', 'logs.responseBody': 'Response body',
  'logs.noBody': 'not stored (see the body settings of [logging])', 'logs.error': 'Error', 'logs.route': 'Route', 'logs.tried': 'Tried',
  'logs.key': 'Upstream key', 'logs.clientKey': 'Client key', 'logs.ip': 'Client IP', 'logs.bytes': 'Bytes (in/out)',
  'logs.stream': 'Stream', 'logs.attempts': 'Attempts', 'logs.path': 'Path', 'logs.format': 'Inbound protocol',
  'logs.upstreamModel': 'Upstream model', 'logs.cache': 'Cache read/write', 'logs.reasoning': 'Reasoning tokens',
  'prov.title': 'Providers', 'prov.type': 'Type', 'prov.baseURL': 'Base URL', 'prov.strategy': 'Strategy', 'prov.responses': 'Responses',
  'prov.models': 'Models', 'prov.keys': 'Keys', 'prov.key': 'Key', 'prov.state': 'State', 'prov.until': 'Until',
  'prov.lastError': 'Last error', 'prov.test': 'Test keys', 'prov.testing': 'Testing…', 'prov.testResults': 'Test results',
  'prov.ok': 'ok', 'prov.cooling': 'cooling down', 'prov.setAside': 'set aside', 'prov.latency': 'Latency', 'prov.status': 'Status',
  'prov.routes': 'Routes', 'prov.targets': 'Targets', 'prov.weight': 'Weight', 'prov.healthy': 'healthy', 'prov.ejected': 'ejected until {t}',
  'prov.noRoutes': 'No routes configured.', 'prov.fail': 'failed', 'prov.unauthorized': 'unauthorized', 'prov.rateLimited': 'rate-limited', 'prov.unreachable': 'unreachable',
  'cl.title': 'Clients', 'cl.new': 'New client', 'cl.create': 'Create', 'cl.name': 'Name', 'cl.models': 'Allowed models',
  'cl.modelsHint': 'globs, comma separated; empty allows every model', 'cl.rpm': 'Requests per minute (RPM)', 'cl.tpm': 'Tokens per minute (TPM)',
  'cl.budget': 'Budget', 'cl.period': 'Period', 'cl.expires': 'Expires', 'cl.note': 'Note', 'cl.limitsHint': '0 or empty: no limit',
  'cl.day': 'daily', 'cl.week': 'weekly', 'cl.month': 'monthly', 'cl.total': 'in total', 'cl.noBudget': 'no budget',
  'cl.keyHint': 'Key', 'cl.limits': 'Limits', 'cl.usage': 'Usage this period', 'cl.state': 'State', 'cl.actions': 'Actions',
  'cl.active': 'active', 'cl.disabled': 'disabled', 'cl.expired': 'expired', 'cl.disable': 'Disable', 'cl.enable': 'Enable',
  'cl.rotate': 'Rotate key', 'cl.delete': 'Delete', 'cl.since': 'since {t}',
  'cl.keyOnce': 'The new key is shown this once: copy it now and keep it safe. Once closed it cannot be shown again, only rotated.',
  'cl.keyFor': 'Key of client {name}', 'cl.copy': 'Copy', 'cl.copied': 'Copied', 'cl.saved': 'I have saved it',
  'cl.confirmDelete': 'Delete client {name}? Its key stops working at once; this cannot be undone.',
  'cl.confirmRotate': 'Rotate the key of client {name}? The old key stops working at once.',
  'cl.created': 'Client {name} created', 'cl.noClients': 'No clients yet.',
  'mod.title': 'Models', 'mod.catalog': 'Catalog', 'mod.id': 'Model ID', 'mod.provider': 'Provider', 'mod.model': 'Model',
  'mod.source': 'Source', 'mod.added': 'Added', 'mod.remove': 'Remove', 'mod.aliases': 'Aliases', 'mod.alias': 'Alias',
  'mod.target': 'Target', 'mod.routes': 'Routes', 'mod.upstream': 'Add models from the upstream', 'mod.fetch': 'Fetch upstream list',
  'mod.match': 'Match (glob, optional)', 'mod.filter': 'Filter', 'mod.add': 'Add selected ({n})', 'mod.selectAll': 'Select visible',
  'mod.added2': '{n} models added', 'mod.have': 'in the catalog', 'mod.filterCatalog': 'Filter models', 'mod.none': 'No models.',
  'mod.owned': 'Owned by', 'mod.fromConfig': 'config', 'mod.fromCatalog': 'added', 'mod.fetched': 'The upstream lists {n} models',
};

const dictionaries = { zh, en };

// createI18n reads the remembered language (Chinese unless English was chosen).
export function createI18n() {
  let lang = 'zh';
  try {
    if (localStorage.getItem(STORE_KEY) === 'en') lang = 'en';
  } catch {
    // storage may be disabled; Chinese then
  }
  const i18n = {
    get lang() {
      return lang;
    },
    t(key, vars) {
      let text = dictionaries[lang][key] ?? dictionaries.zh[key] ?? key;
      for (const [k, v] of Object.entries(vars || {})) text = text.replaceAll('{' + k + '}', String(v));
      return text;
    },
    toggle() {
      lang = lang === 'zh' ? 'en' : 'zh';
      try {
        localStorage.setItem(STORE_KEY, lang);
      } catch {
        // not remembered; the switch still applies to this page
      }
      document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    },
  };
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  return i18n;
}
