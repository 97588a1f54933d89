#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: notify
short_description: Tell the requester that a build was submitted, succeeded, failed or was cancelled
version_added: 0.1.0
description:
  - Sends one notification about one build, by email (SMTP with STARTTLS, implicit TLS or none, with optional
    login) and/or by webhook (a JSON POST).
  - The email subject and first line state the outcome explicitly
    (C([fedora-build] succeeded:), C([fedora-build] FAILED:), C([fedora-build] submitted:), C([fedora-build] CANCELLED:));
    a reused build's subject has C(succeeded) followed by C(reused) in parentheses.
    The body is plain text (UTF-8) with what was requested, the request and build IDs, where the results are
    (staging URLs), the size and SHA-256 of every artifact, on failure the reason and the last lines of the log,
    and where to look at the status record.
  - A failure to deliver (connection refused, timeout, TLS or certificate failure, login refused, the server
    refusing the message, a webhook answering anything but 2xx) never fails the task. The reasons are returned in
    RV(errors) and each is emitted as a warning; C(changed) is V(true) only when at least one channel delivered
    (in check mode, when at least one channel would be used).
  - Invalid input (a malformed address, a webhook URL that is not http or https, an unknown event) fails
    the task with one sentence naming the field.
  - "Meant to run on the controller (C(delegate_to: localhost) in a play on build nodes), where the SMTP
    password and webhook token are available from the environment."
  - The SMTP password and the webhook token never appear in the results, warnings or errors.
author:
  - ondemand.fedora_build developers (@ondemand)
extends_documentation_fragment:
  - ondemand.fedora_build.attributes
  - ondemand.fedora_build.attributes.ACTIONGROUP
attributes:
  check_mode:
    support: full
    details: Builds the email and the webhook payload and returns them in RV(messages); sends nothing.
  diff_mode:
    support: none
  idempotent:
    support: none
    details: Every run sends the notification again.
  platform:
    platforms: posix
options:
  event:
    description:
      - What happened to the build.
      - V(submitted) is sent when the request is queued (the build role holds it back for a likely reuse and sends it
        only when the build is not reused); the other three when the build ends.
    type: str
    required: true
    choices: [submitted, succeeded, failed, cancelled]
  to:
    description:
      - Email addresses to notify, each C(user@example.org) or C(Name <user@example.org>).
      - An empty list sends no email (and is not an error).
      - "A malformed address, or one containing a line break, fails the task naming it (C(to[1]: ...))."
    type: list
    elements: str
    default: []
  smtp:
    description:
      - The SMTP server (the service variable C(fedora_build_smtp)).
      - When omitted or without O(smtp.host) while O(to) is not empty, no email is sent and a warning says so.
    type: dict
    suboptions:
      host:
        description: Name or address of the SMTP server.
        type: str
      port:
        description: TCP port; defaults to V(587) for V(starttls), V(465) for V(ssl), V(25) for V(none).
        type: int
      security:
        description:
          - V(starttls) upgrades a plain connection with STARTTLS (and fails to send when the server does not offer it),
            V(ssl) speaks TLS from the first byte (SMTPS), V(none) sends in clear text.
          - With V(none) a login sends the password in clear text; use it only on a trusted network.
        type: str
        choices: [starttls, ssl, none]
        default: starttls
      username:
        description: Login name; when set, the module logs in (AUTH) before sending.
        type: str
      password:
        description: Password for O(smtp.username). When empty, the environment variable named by O(smtp.password_env) is used.
        type: str
      password_env:
        description: Environment variable (on the host the module runs on) that holds the password when O(smtp.password) is empty.
        type: str
        default: FEDORA_BUILD_SMTP_PASSWORD
      sender:
        description:
          - The From address, C(user@example.org) or C(Name <user@example.org>).
          - Defaults to O(smtp.username) when that is an address, else C(fedora-build@) and the controller's FQDN.
        type: str
      timeout:
        description: Seconds to wait for the server at each step.
        type: float
        default: 30
      validate_certs:
        description: Verify the server's TLS certificate and host name (V(starttls) and V(ssl)).
        type: bool
        default: true
      ca_file:
        description: PEM file of the CA(s) to trust for the server's certificate, instead of the system store.
        type: path
  webhook:
    description:
      - A URL to POST C({"event", "summary", "build"}) to as C(application/json). Any 2xx answer counts as sent.
      - Redirects are not followed (the token must not travel to another host).
      - Errors and results name only C(scheme://host:port) of the URL, as webhook paths often carry secrets.
    type: dict
    suboptions:
      url:
        description:
          - The http or https URL. Any other scheme fails the task.
          - Treated as a secret (webhook URLs often embed one in their path); results show only C(scheme://host:port).
        type: str
      token:
        description:
          - "Sent as C(Authorization: Bearer <token>). When empty, the environment variable named by O(webhook.token_env) is used;
            without either, no Authorization header is sent."
        type: str
      token_env:
        description:
          - Environment variable of the controller that holds the token when O(webhook.token) is empty.
          - There is no default, so a webhook given only by its URL gets no token. The role passes the C(token_env) of
            the webhook the operator defined in C(fedora_build_webhooks) that the request names (filter
            P(ondemand.fedora_build.webhook_destination#filter)), and never a token to a URL a request wrote.
        type: str
      timeout:
        description: Seconds to wait for the receiver.
        type: float
        default: 30
      validate_certs:
        description: Verify the receiver's TLS certificate (https).
        type: bool
        default: true
      ca_file:
        description: PEM file of the CA(s) to trust for the receiver's certificate.
        type: path
  build:
    description:
      - The build, as in its status record (the record itself may be passed; keys not listed here are ignored).
      - C(request_id), C(build_id), C(name), C(image_type), C(release), C(arch), C(node), C(state), C(phase),
        C(reason) (why it failed or was cancelled), C(requested_by), C(submitted), C(started), C(finished)
        (texts, e.g. ISO 8601 times), C(duration) (seconds, or a text).
      - C(staging) - list of URLs or paths where the build was staged (C(<target>/<build_id>)).
      - C(artifacts) - list of C({name, size, sha256, relpath}); C(relpath) is the file's path relative to the staged
        build directory (as CHECKSUM names it, e.g. C(output/images/boot.iso)), so the email's checksum lines can be
        saved to a file and checked with C(sha256sum -c) in that directory. Without C(relpath) the line names the bare file.
      - C(reused) - V(true) when the build was not run because its identical result was already staged; the
        C(succeeded) email's subject then has C(reused) in parentheses after C(succeeded), and its first line says that
        nothing was rebuilt.
      - C(log_tail) - the end of the build log, a list of lines or one text; the email carries its last O(log_lines) lines.
      - C(status_url) - where to look at the status (shown in the email instead of the status record path).
      - C(request) - the normalized request; each top-level key is listed under "What was requested".
    type: dict
    default: {}
  log_lines:
    description: How many lines of O(build) C(log_tail) (or of O(log_file)) the email and the webhook carry at most (the last ones).
    type: int
    default: 40
  log_file:
    description:
      - A log file on the host the module runs on (e.g. the staged C(<staging>/<build_id>/logs/build.log)) whose last
        O(log_lines) lines are used when O(build) has no C(log_tail). Only the last 256 KiB are read.
      - A file that cannot be read does not stop the notification; the email says so instead of showing the log.
    type: path
notes:
  - Lines of the log are sent as plain text; control characters (terminal escapes, CR) are shown as C(?), lines are
    cut at 500 characters.
  - Headers cannot be injected; values from O(build) are folded to one line before they reach the subject.
seealso:
  - module: ondemand.fedora_build.build_status
"""

EXAMPLES = r"""
- name: Tell the requester the build failed, and why
  ondemand.fedora_build.notify:
    event: failed
    to: "{{ fedora_build_request.notify.email | default([]) }}"
    smtp: "{{ fedora_build_smtp | default(omit) }}"
    build: "{{ status_record }}"
  delegate_to: localhost

- name: Submission email through an authenticated relay, password from FEDORA_BUILD_SMTP_PASSWORD
  ondemand.fedora_build.notify:
    event: submitted
    to: [qa@example.org, "Jane Tester <jane@example.org>"]
    smtp:
      host: smtp.example.org
      security: starttls
      username: fedora-build
      sender: Fedora image builds <fedora-build@example.org>
    build:
      request_id: rq-0123456789ab
      name: kde-live-test-day
      image_type: live
      release: "41"
      arch: x86_64
  delegate_to: localhost

- name: Post the result to a webhook too
  ondemand.fedora_build.notify:
    event: succeeded
    webhook:
      url: https://hooks.example.org/fedora-build
      token_env: FEDORA_BUILD_WEBHOOK_TOKEN
    build: "{{ status_record }}"
  delegate_to: localhost
  register: sent

- name: Show what could not be delivered (never fails the build)
  ansible.builtin.debug:
    var: sent.errors
"""

RETURN = r"""
sent:
  description: Whether each channel delivered. V(false) also when the channel was not configured or in check mode.
  returned: always
  type: dict
  contains:
    email:
      description: The SMTP server accepted the message for at least one recipient.
      type: bool
      returned: always
      sample: true
    webhook:
      description: The webhook answered 2xx.
      type: bool
      returned: always
      sample: false
  sample: {email: true, webhook: false}
errors:
  description:
    - One sentence per delivery problem (also each emitted as a warning). Empty when everything configured was delivered.
    - Never contains the SMTP password or the webhook token.
  returned: always
  type: list
  elements: str
  sample: ["Email to qa@example.org was not sent: could not connect to the SMTP server smtp.example.org:587 (connection refused)."]
subject:
  description: The email subject (also the webhook's C(summary)).
  returned: always
  type: str
  sample: "[fedora-build] succeeded: live 41 x86_64 (live-41-x86_64-0123456789ab)"
recipients:
  description: The validated recipient addresses (duplicates removed), without display names.
  returned: always
  type: list
  elements: str
  sample: [qa@example.org, jane@example.org]
event:
  description: The event notified.
  returned: always
  type: str
  sample: succeeded
messages:
  description: What was (or, in check mode, would be) sent, one item per channel.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: V(email) or V(webhook).
      type: str
      returned: always
    subject:
      description: Email subject.
      type: str
      returned: for email
    from:
      description: The From header.
      type: str
      returned: for email
    to:
      description: Recipient addresses.
      type: list
      elements: str
      returned: for email
    body:
      description: The plain-text body.
      type: str
      returned: for email
    server:
      description: C(host:port (security)) of the SMTP server, or null when none is configured.
      type: str
      returned: for email
    url:
      description: C(scheme://host:port) of the webhook URL.
      type: str
      returned: for webhook
    payload:
      description: The JSON document POSTed.
      type: dict
      returned: for webhook
  sample:
    - kind: email
      subject: "[fedora-build] submitted: live 41 x86_64 (rq-0123456789ab)"
      from: fedora-build@example.org
      to: [qa@example.org]
      body: "Your Fedora image build live 41 x86_64 (rq-0123456789ab) was submitted and is queued..."
      server: smtp.example.org:587 (starttls)
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_params_text
from ansible_collections.ondemand.fedora_build.plugins.module_utils.notify import EVENTS, notify


def argument_spec():
    """The module's options, exactly as documented."""
    return dict(
        event=dict(type='str', required=True, choices=list(EVENTS)),
        to=dict(type='list', elements='str', default=[]),
        smtp=dict(type='dict', options=dict(
            host=dict(type='str'),
            port=dict(type='int'),
            security=dict(type='str', choices=['starttls', 'ssl', 'none'], default='starttls'),
            username=dict(type='str'),
            password=dict(type='str', no_log=True),
            password_env=dict(type='str', default='FEDORA_BUILD_SMTP_PASSWORD', no_log=False),
            sender=dict(type='str'),
            timeout=dict(type='float', default=30),
            validate_certs=dict(type='bool', default=True),
            ca_file=dict(type='path'),
        )),
        webhook=dict(type='dict', options=dict(
            url=dict(type='str', no_log=True),
            token=dict(type='str', no_log=True),
            token_env=dict(type='str', no_log=False),
            timeout=dict(type='float', default=30),
            validate_certs=dict(type='bool', default=True),
            ca_file=dict(type='path'),
        )),
        build=dict(type='dict', default={}),
        log_lines=dict(type='int', default=40),
        log_file=dict(type='path'),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    try:
        # The service settings are checked before any connection (addresses by notify(); the build record is data).
        check_params_text(params, dict((k, v) for k, v in module.argument_spec.items() if k in ('smtp', 'webhook', 'log_lines')))
        if params['log_lines'] < 0:
            raise FedoraBuildError('log_lines: %d is negative; give the number of log lines to send.' % params['log_lines'])
        result, secrets = notify(params['event'], params['to'], params['smtp'], params['webhook'], params['build'],
                                 check_mode=module.check_mode, log_lines=params['log_lines'], log_file=params['log_file'])
    except FedoraBuildError as exc:
        exc.fail(module)
    # secrets from the environment are not module parameters: make Ansible mask them as well
    for secret in secrets:
        module.no_log_values.add(secret)
    for error in result['errors']:
        module.warn(error)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
