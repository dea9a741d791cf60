// The API reference page: renders this server's OpenAPI document (/openapi/v1.json) as plain HTML.
// No script from elsewhere and nothing inline, so the pages' Content-Security-Policy holds as it is.

const statusLine = document.getElementById('status');

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value; else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

// "#/components/schemas/JobStatus" → "JobStatus"; an inline schema → its type.
function refName(schema) {
  if (!schema) return '';
  if (schema.$ref) return schema.$ref.split('/').pop();
  if (schema.type === 'array' || (Array.isArray(schema.type) && schema.type.includes('array'))) return `${refName(schema.items)}[]`;
  const type = Array.isArray(schema.type) ? schema.type.filter(t => t !== 'null').join(' | ') : (schema.type ?? 'object');
  return schema.format ? `${type} (${schema.format})` : type;
}

function resolve(api, schema) {
  return schema?.$ref ? api.components?.schemas?.[refName(schema)] : schema;
}

function fieldTable(api, schema) {
  const resolved = resolve(api, schema);
  const properties = resolved?.properties;
  if (!properties) return el('p', {}, el('span', { class: 'type' }, refName(schema)));
  const required = new Set(resolved.required ?? []);
  const rows = Object.entries(properties).map(([name, field]) => el('tr', {},
    el('td', {}, el('code', {}, name), required.has(name) ? el('span', { class: 'required' }, ' required') : null),
    el('td', { class: 'type' }, refName(field)),
    el('td', {}, field.description ?? '', field.enum ? ` One of: ${field.enum.join(', ')}.` : '')));
  return el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'field'), el('th', {}, 'type'), el('th', {}, 'what'))), el('tbody', {}, ...rows));
}

function operationSection(api, path, method, operation) {
  const id = `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, '-');
  const secured = (operation.security ?? api.security ?? []).length > 0;
  const section = el('section', { class: 'op', id },
    el('h3', {}, el('span', { class: `method ${method}` }, method.toUpperCase()), el('span', { class: 'path' }, path),
      secured ? el('span', { class: 'lock' }, 'Bearer API key') : null),
    operation.summary ? el('p', {}, operation.summary) : null,
    operation.description ? el('p', { class: 'note' }, operation.description) : null);

  if (operation.parameters?.length) {
    section.append(el('h4', {}, 'Parameters'), el('table', {}, el('tbody', {}, ...operation.parameters.map(p => el('tr', {},
      el('td', {}, el('code', {}, p.name), p.required ? el('span', { class: 'required' }, ' required') : null),
      el('td', { class: 'type' }, `${p.in}, ${refName(p.schema)}`),
      el('td', {}, p.description ?? ''))))));
  }

  if (operation.requestBody?.content) {
    for (const [type, media] of Object.entries(operation.requestBody.content)) {
      section.append(el('h4', {}, 'Request body ', el('code', {}, type)), fieldTable(api, media.schema));
    }
  }

  const responses = Object.entries(operation.responses ?? {});
  section.append(el('h4', {}, 'Answers'), el('table', {}, el('tbody', {}, ...responses.map(([status, response]) => el('tr', {},
    el('td', {}, el('code', {}, status)),
    el('td', { class: 'type' }, Object.entries(response.content ?? {}).map(([type, media]) => media.schema ? `${type}: ${refName(media.schema)}` : type).join(', ')),
    el('td', {}, response.description ?? ''))))));
  return section;
}

async function main() {
  let api;
  try {
    const answer = await fetch('/openapi/v1.json', { headers: { Accept: 'application/json' } });
    if (!answer.ok) throw new Error(`the server answered ${answer.status} ${answer.statusText}`);
    api = await answer.json();
  } catch (error) {
    statusLine.textContent = `The OpenAPI document could not be read: ${error.message}`;
    statusLine.className = 'error';
    return;
  }

  document.getElementById('title').textContent = `${api.info?.title ?? 'API'} ${api.info?.version ?? ''}`;
  document.getElementById('description').textContent = api.info?.description ?? '';
  const schemes = document.getElementById('schemes');
  for (const [name, scheme] of Object.entries(api.components?.securitySchemes ?? {})) {
    schemes.append(el('li', {}, el('code', {}, name), `: ${scheme.type} ${scheme.scheme ?? ''}. ${scheme.description ?? ''}`));
  }
  document.getElementById('info').hidden = false;

  const toc = document.getElementById('toc');
  const operations = document.getElementById('operations');
  let count = 0;
  for (const [path, item] of Object.entries(api.paths ?? {})) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      if (!item[method]) continue;
      const section = operationSection(api, path, method, item[method]);
      operations.append(section);
      toc.append(el('a', { href: `#${section.id}` }, `${method.toUpperCase()} ${path}`));
      count++;
    }
  }
  toc.hidden = false;

  const schemaList = document.getElementById('schema-list');
  for (const [name, schema] of Object.entries(api.components?.schemas ?? {})) {
    schemaList.append(el('section', { class: 'op', id: `schema-${name}` }, el('h3', {}, el('code', {}, name)), fieldTable(api, schema)));
  }
  document.getElementById('schemas').hidden = schemaList.childElementCount === 0;
  statusLine.textContent = `${count} operations.`;
}

main();
