/* LTI Client Side postMessages + Platform Storage, platform side.
 * The page that frames a tool answers lti.capabilities, lti.put_data and lti.get_data
 * (also with the older "org.imsglobal." prefix) so that a tool can keep its OIDC state
 * without third-party cookies. Values are kept per sending origin, in this page only. */
(function (global) {
  'use strict';

  var SUBJECTS = ['lti.capabilities', 'lti.put_data', 'lti.get_data'];

  function attach(frame, options) {
    options = options || {};
    var allowed = options.origins || JSON.parse(frame.getAttribute('data-allowed-origins') || '[]');
    var store = {};
    var log = global.demolmsStorageLog = global.demolmsStorageLog || [];

    function reply(event, message) {
      event.source.postMessage(message, event.origin);
      log.push({direction: 'out', origin: event.origin, message: message});
    }

    global.addEventListener('message', function (event) {
      var data = event.data;
      if (!data || typeof data !== 'object' || typeof data.subject !== 'string') { return; }
      var prefixed = data.subject.indexOf('org.imsglobal.') === 0;
      var subject = prefixed ? data.subject.slice('org.imsglobal.'.length) : data.subject;
      if (SUBJECTS.indexOf(subject) < 0) { return; }
      // Only the framed tool, from one of its registered origins, may use the storage.
      if (allowed.indexOf(event.origin) < 0 || !event.source) {
        log.push({direction: 'refused', origin: event.origin, message: data});
        return;
      }
      log.push({direction: 'in', origin: event.origin, message: data});
      var answer = {subject: data.subject + '.response', message_id: data.message_id};
      if (subject === 'lti.capabilities') {
        answer.supported_messages = SUBJECTS.map(function (s) { return {subject: s}; });
        return reply(event, answer);
      }
      if (typeof data.key !== 'string' || data.key === '') {
        answer.error = {code: 'bad_request', message: 'key is required'};
        return reply(event, answer);
      }
      var bucket = store[event.origin] = store[event.origin] || {};
      answer.key = data.key;
      if (subject === 'lti.put_data') {
        if (data.value === undefined) {
          answer.error = {code: 'bad_request', message: 'value is required'};
        } else {
          bucket[data.key] = data.value;
          answer.value = data.value;
        }
      } else if (Object.prototype.hasOwnProperty.call(bucket, data.key)) {
        answer.value = bucket[data.key];
      } else {
        answer.error = {code: 'bad_request', message: 'no value stored for this key'};
      }
      reply(event, answer);
    });
    return {store: store, log: log};
  }

  global.DemoLmsPlatformStorage = {attach: attach};
})(window);
