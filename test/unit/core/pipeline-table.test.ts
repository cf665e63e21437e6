// The transition table: every stage × one event of every kind (commands for every name with
// write and read permission, every agent's result and failure). Each row says where the feature
// goes ("=" stays) and which effects come out, in order ("-" none): `react:<content>`,
// `reply:<view>`, `run_agent:<agent>`, `mark_pr_ready+reply:<view>` (with its announcement), or
// the effect type. Reviewed row by row; a new stage or event kind without rows fails the
// coverage test.

import { describe, expect, it } from "vitest";
import { COMMAND_NAMES } from "../../../src/core/commands.ts";
import type { Effect } from "../../../src/core/effects.ts";
import type { PipelineEvent } from "../../../src/core/events.ts";
import { AGENTS, STAGES, type Stage } from "../../../src/core/feature.ts";
import { transition } from "../../../src/core/pipeline.ts";
import { EVENT_KINDS, featureAt, VARIANTS } from "./pipeline-fixtures.ts";

const TABLE = `
drafting         | start:write               | =                | react:eyes reply:not_now
drafting         | start:read                | =                | react:confused reply:unauthorized
drafting         | /build:write              | =                | react:eyes reply:not_now
drafting         | /build:read               | =                | react:confused reply:unauthorized
drafting         | /approve:write            | spec_generating  | react:+1 record_approval run_agent:spec sync_status
drafting         | /approve:read             | =                | react:confused reply:unauthorized
drafting         | /revise:write             | =                | react:eyes run_agent:ba
drafting         | /revise:read              | =                | react:confused reply:unauthorized
drafting         | /retry:write              | =                | react:eyes reply:not_now
drafting         | /retry:read               | =                | react:confused reply:unauthorized
drafting         | /cancel:write             | cancelled        | react:eyes cancel_jobs sync_status reply:cancelled
drafting         | /cancel:read              | =                | react:confused reply:unauthorized
drafting         | /status:write             | =                | react:eyes reply:status
drafting         | /status:read              | =                | react:eyes reply:status
drafting         | /help:write               | =                | react:eyes reply:help
drafting         | /help:read                | =                | react:eyes reply:help
drafting         | /fix:write                | =                | react:eyes reply:not_now
drafting         | /fix:read                 | =                | react:confused reply:unauthorized
drafting         | label:write               | spec_generating  | record_approval run_agent:spec sync_status reply:approved remove_label
drafting         | label:read                | =                | reply:unauthorized remove_label
drafting         | comment:author            | =                | react:eyes run_agent:ba
drafting         | comment:stranger          | =                | -
drafting         | finished:ba               | =                | run_agent:alignment_review sync_status
drafting         | finished:spec             | =                | -
drafting         | finished:plan             | =                | -
drafting         | finished:tests            | =                | -
drafting         | finished:implement        | =                | -
drafting         | finished:docs             | =                | -
drafting         | finished:security_review  | =                | -
drafting         | finished:code_review      | =                | -
drafting         | finished:alignment_review | =                | sync_status
drafting         | finished:title            | =                | sync_status
drafting         | failed:ba                 | =                | sync_status reply:failed
drafting         | failed:spec               | =                | -
drafting         | failed:plan               | =                | -
drafting         | failed:tests              | =                | -
drafting         | failed:implement          | =                | -
drafting         | failed:docs               | =                | -
drafting         | failed:security_review    | =                | -
drafting         | failed:code_review        | =                | -
drafting         | failed:alignment_review   | =                | sync_status reply:failed
drafting         | failed:title              | =                | -
drafting         | verdict:pass              | =                | -
drafting         | verdict:fail              | =                | -
drafting         | verdict:pass:ci-pending   | =                | -
drafting         | verdict:pass:ci-red       | =                | -
drafting         | ci:success                | =                | -
drafting         | ci:failure                | =                | -
drafting         | ci:none                   | =                | -
drafting         | changes_requested:write   | =                | reply:not_now
drafting         | changes_requested:read    | =                | -
drafting         | fix_findings:write        | =                | reply:not_now
drafting         | fix_findings:read         | =                | reply:unauthorized
drafting         | rerun:write               | =                | reply:not_now
drafting         | rerun:read                | =                | reply:unauthorized
drafting         | pr_merged                 | done             | close_issue sync_status
drafting         | pr_closed                 | abandoned        | cancel_jobs sync_status reply:abandoned
drafting         | stuck                     | =                | -
drafting         | uninstalled               | cancelled        | cancel_jobs
spec_generating  | start:write               | =                | react:eyes reply:not_now
spec_generating  | start:read                | =                | react:confused reply:unauthorized
spec_generating  | /build:write              | =                | react:eyes reply:not_now
spec_generating  | /build:read               | =                | react:confused reply:unauthorized
spec_generating  | /approve:write            | =                | react:eyes reply:not_now
spec_generating  | /approve:read             | =                | react:confused reply:unauthorized
spec_generating  | /revise:write             | =                | react:eyes reply:not_now
spec_generating  | /revise:read              | =                | react:confused reply:unauthorized
spec_generating  | /retry:write              | =                | react:eyes reply:not_now
spec_generating  | /retry:read               | =                | react:confused reply:unauthorized
spec_generating  | /cancel:write             | cancelled        | react:eyes cancel_jobs sync_status reply:cancelled
spec_generating  | /cancel:read              | =                | react:confused reply:unauthorized
spec_generating  | /status:write             | =                | react:eyes reply:status
spec_generating  | /status:read              | =                | react:eyes reply:status
spec_generating  | /help:write               | =                | react:eyes reply:help
spec_generating  | /help:read                | =                | react:eyes reply:help
spec_generating  | /fix:write                | =                | react:eyes reply:not_now
spec_generating  | /fix:read                 | =                | react:confused reply:unauthorized
spec_generating  | label:write               | =                | reply:not_now remove_label
spec_generating  | label:read                | =                | reply:unauthorized remove_label
spec_generating  | comment:author            | =                | react:eyes run_agent:ba
spec_generating  | comment:stranger          | =                | -
spec_generating  | finished:ba               | =                | sync_status
spec_generating  | finished:spec             | spec_ready       | run_agent:alignment_review sync_status
spec_generating  | finished:plan             | =                | -
spec_generating  | finished:tests            | =                | -
spec_generating  | finished:implement        | =                | -
spec_generating  | finished:docs             | =                | -
spec_generating  | finished:security_review  | =                | -
spec_generating  | finished:code_review      | =                | -
spec_generating  | finished:alignment_review | =                | sync_status
spec_generating  | finished:title            | =                | sync_status
spec_generating  | failed:ba                 | =                | sync_status reply:failed
spec_generating  | failed:spec               | failed           | sync_status reply:failed
spec_generating  | failed:plan               | =                | -
spec_generating  | failed:tests              | =                | -
spec_generating  | failed:implement          | =                | -
spec_generating  | failed:docs               | =                | -
spec_generating  | failed:security_review    | =                | -
spec_generating  | failed:code_review        | =                | -
spec_generating  | failed:alignment_review   | =                | -
spec_generating  | failed:title              | =                | -
spec_generating  | verdict:pass              | =                | -
spec_generating  | verdict:fail              | =                | -
spec_generating  | verdict:pass:ci-pending   | =                | -
spec_generating  | verdict:pass:ci-red       | =                | -
spec_generating  | ci:success                | =                | -
spec_generating  | ci:failure                | =                | -
spec_generating  | ci:none                   | =                | -
spec_generating  | changes_requested:write   | =                | reply:not_now
spec_generating  | changes_requested:read    | =                | -
spec_generating  | fix_findings:write        | =                | reply:not_now
spec_generating  | fix_findings:read         | =                | reply:unauthorized
spec_generating  | rerun:write               | =                | reply:not_now
spec_generating  | rerun:read                | =                | reply:unauthorized
spec_generating  | pr_merged                 | done             | cancel_jobs close_issue sync_status
spec_generating  | pr_closed                 | abandoned        | cancel_jobs sync_status reply:abandoned
spec_generating  | stuck                     | failed           | cancel_jobs sync_status reply:failed
spec_generating  | uninstalled               | cancelled        | cancel_jobs
spec_ready       | start:write               | =                | react:eyes reply:not_now
spec_ready       | start:read                | =                | react:confused reply:unauthorized
spec_ready       | /build:write              | =                | react:eyes reply:not_now
spec_ready       | /build:read               | =                | react:confused reply:unauthorized
spec_ready       | /approve:write            | plan_generating  | react:+1 record_approval run_agent:plan sync_status
spec_ready       | /approve:read             | =                | react:confused reply:unauthorized
spec_ready       | /revise:write             | spec_generating  | react:eyes run_agent:spec sync_status
spec_ready       | /revise:read              | =                | react:confused reply:unauthorized
spec_ready       | /retry:write              | =                | react:eyes reply:not_now
spec_ready       | /retry:read               | =                | react:confused reply:unauthorized
spec_ready       | /cancel:write             | cancelled        | react:eyes cancel_jobs sync_status reply:cancelled
spec_ready       | /cancel:read              | =                | react:confused reply:unauthorized
spec_ready       | /status:write             | =                | react:eyes reply:status
spec_ready       | /status:read              | =                | react:eyes reply:status
spec_ready       | /help:write               | =                | react:eyes reply:help
spec_ready       | /help:read                | =                | react:eyes reply:help
spec_ready       | /fix:write                | =                | react:eyes reply:not_now
spec_ready       | /fix:read                 | =                | react:confused reply:unauthorized
spec_ready       | label:write               | plan_generating  | record_approval run_agent:plan sync_status reply:approved remove_label
spec_ready       | label:read                | =                | reply:unauthorized remove_label
spec_ready       | comment:author            | =                | react:eyes run_agent:ba
spec_ready       | comment:stranger          | =                | -
spec_ready       | finished:ba               | =                | sync_status
spec_ready       | finished:spec             | =                | -
spec_ready       | finished:plan             | =                | -
spec_ready       | finished:tests            | =                | -
spec_ready       | finished:implement        | =                | -
spec_ready       | finished:docs             | =                | -
spec_ready       | finished:security_review  | =                | -
spec_ready       | finished:code_review      | =                | -
spec_ready       | finished:alignment_review | =                | sync_status
spec_ready       | finished:title            | =                | sync_status
spec_ready       | failed:ba                 | =                | sync_status reply:failed
spec_ready       | failed:spec               | =                | -
spec_ready       | failed:plan               | =                | -
spec_ready       | failed:tests              | =                | -
spec_ready       | failed:implement          | =                | -
spec_ready       | failed:docs               | =                | -
spec_ready       | failed:security_review    | =                | -
spec_ready       | failed:code_review        | =                | -
spec_ready       | failed:alignment_review   | =                | sync_status reply:failed
spec_ready       | failed:title              | =                | -
spec_ready       | verdict:pass              | =                | -
spec_ready       | verdict:fail              | =                | -
spec_ready       | verdict:pass:ci-pending   | =                | -
spec_ready       | verdict:pass:ci-red       | =                | -
spec_ready       | ci:success                | =                | -
spec_ready       | ci:failure                | =                | -
spec_ready       | ci:none                   | =                | -
spec_ready       | changes_requested:write   | =                | reply:not_now
spec_ready       | changes_requested:read    | =                | -
spec_ready       | fix_findings:write        | =                | reply:not_now
spec_ready       | fix_findings:read         | =                | reply:unauthorized
spec_ready       | rerun:write               | =                | reply:not_now
spec_ready       | rerun:read                | =                | reply:unauthorized
spec_ready       | pr_merged                 | done             | close_issue sync_status
spec_ready       | pr_closed                 | abandoned        | cancel_jobs sync_status reply:abandoned
spec_ready       | stuck                     | =                | -
spec_ready       | uninstalled               | cancelled        | cancel_jobs
plan_generating  | start:write               | =                | react:eyes reply:not_now
plan_generating  | start:read                | =                | react:confused reply:unauthorized
plan_generating  | /build:write              | =                | react:eyes reply:not_now
plan_generating  | /build:read               | =                | react:confused reply:unauthorized
plan_generating  | /approve:write            | =                | react:eyes reply:not_now
plan_generating  | /approve:read             | =                | react:confused reply:unauthorized
plan_generating  | /revise:write             | =                | react:eyes reply:not_now
plan_generating  | /revise:read              | =                | react:confused reply:unauthorized
plan_generating  | /retry:write              | =                | react:eyes reply:not_now
plan_generating  | /retry:read               | =                | react:confused reply:unauthorized
plan_generating  | /cancel:write             | cancelled        | react:eyes cancel_jobs sync_status reply:cancelled
plan_generating  | /cancel:read              | =                | react:confused reply:unauthorized
plan_generating  | /status:write             | =                | react:eyes reply:status
plan_generating  | /status:read              | =                | react:eyes reply:status
plan_generating  | /help:write               | =                | react:eyes reply:help
plan_generating  | /help:read                | =                | react:eyes reply:help
plan_generating  | /fix:write                | =                | react:eyes reply:not_now
plan_generating  | /fix:read                 | =                | react:confused reply:unauthorized
plan_generating  | label:write               | =                | reply:not_now remove_label
plan_generating  | label:read                | =                | reply:unauthorized remove_label
plan_generating  | comment:author            | =                | react:eyes run_agent:ba
plan_generating  | comment:stranger          | =                | -
plan_generating  | finished:ba               | =                | sync_status
plan_generating  | finished:spec             | =                | -
plan_generating  | finished:plan             | plan_ready       | run_agent:alignment_review sync_status
plan_generating  | finished:tests            | =                | -
plan_generating  | finished:implement        | =                | -
plan_generating  | finished:docs             | =                | -
plan_generating  | finished:security_review  | =                | -
plan_generating  | finished:code_review      | =                | -
plan_generating  | finished:alignment_review | =                | sync_status
plan_generating  | finished:title            | =                | sync_status
plan_generating  | failed:ba                 | =                | sync_status reply:failed
plan_generating  | failed:spec               | =                | -
plan_generating  | failed:plan               | failed           | sync_status reply:failed
plan_generating  | failed:tests              | =                | -
plan_generating  | failed:implement          | =                | -
plan_generating  | failed:docs               | =                | -
plan_generating  | failed:security_review    | =                | -
plan_generating  | failed:code_review        | =                | -
plan_generating  | failed:alignment_review   | =                | -
plan_generating  | failed:title              | =                | -
plan_generating  | verdict:pass              | =                | -
plan_generating  | verdict:fail              | =                | -
plan_generating  | verdict:pass:ci-pending   | =                | -
plan_generating  | verdict:pass:ci-red       | =                | -
plan_generating  | ci:success                | =                | -
plan_generating  | ci:failure                | =                | -
plan_generating  | ci:none                   | =                | -
plan_generating  | changes_requested:write   | =                | reply:not_now
plan_generating  | changes_requested:read    | =                | -
plan_generating  | fix_findings:write        | =                | reply:not_now
plan_generating  | fix_findings:read         | =                | reply:unauthorized
plan_generating  | rerun:write               | =                | reply:not_now
plan_generating  | rerun:read                | =                | reply:unauthorized
plan_generating  | pr_merged                 | done             | cancel_jobs close_issue sync_status
plan_generating  | pr_closed                 | abandoned        | cancel_jobs sync_status reply:abandoned
plan_generating  | stuck                     | failed           | cancel_jobs sync_status reply:failed
plan_generating  | uninstalled               | cancelled        | cancel_jobs
plan_ready       | start:write               | =                | react:eyes reply:not_now
plan_ready       | start:read                | =                | react:confused reply:unauthorized
plan_ready       | /build:write              | =                | react:eyes reply:not_now
plan_ready       | /build:read               | =                | react:confused reply:unauthorized
plan_ready       | /approve:write            | tests_generating | react:+1 record_approval run_agent:tests sync_status
plan_ready       | /approve:read             | =                | react:confused reply:unauthorized
plan_ready       | /revise:write             | spec_generating  | react:eyes run_agent:spec sync_status
plan_ready       | /revise:read              | =                | react:confused reply:unauthorized
plan_ready       | /retry:write              | =                | react:eyes reply:not_now
plan_ready       | /retry:read               | =                | react:confused reply:unauthorized
plan_ready       | /cancel:write             | cancelled        | react:eyes cancel_jobs sync_status reply:cancelled
plan_ready       | /cancel:read              | =                | react:confused reply:unauthorized
plan_ready       | /status:write             | =                | react:eyes reply:status
plan_ready       | /status:read              | =                | react:eyes reply:status
plan_ready       | /help:write               | =                | react:eyes reply:help
plan_ready       | /help:read                | =                | react:eyes reply:help
plan_ready       | /fix:write                | =                | react:eyes reply:not_now
plan_ready       | /fix:read                 | =                | react:confused reply:unauthorized
plan_ready       | label:write               | tests_generating | record_approval run_agent:tests sync_status reply:approved remove_label
plan_ready       | label:read                | =                | reply:unauthorized remove_label
plan_ready       | comment:author            | =                | react:eyes run_agent:ba
plan_ready       | comment:stranger          | =                | -
plan_ready       | finished:ba               | =                | sync_status
plan_ready       | finished:spec             | =                | -
plan_ready       | finished:plan             | =                | -
plan_ready       | finished:tests            | =                | -
plan_ready       | finished:implement        | =                | -
plan_ready       | finished:docs             | =                | -
plan_ready       | finished:security_review  | =                | -
plan_ready       | finished:code_review      | =                | -
plan_ready       | finished:alignment_review | =                | sync_status
plan_ready       | finished:title            | =                | sync_status
plan_ready       | failed:ba                 | =                | sync_status reply:failed
plan_ready       | failed:spec               | =                | -
plan_ready       | failed:plan               | =                | -
plan_ready       | failed:tests              | =                | -
plan_ready       | failed:implement          | =                | -
plan_ready       | failed:docs               | =                | -
plan_ready       | failed:security_review    | =                | -
plan_ready       | failed:code_review        | =                | -
plan_ready       | failed:alignment_review   | =                | sync_status reply:failed
plan_ready       | failed:title              | =                | -
plan_ready       | verdict:pass              | =                | -
plan_ready       | verdict:fail              | =                | -
plan_ready       | verdict:pass:ci-pending   | =                | -
plan_ready       | verdict:pass:ci-red       | =                | -
plan_ready       | ci:success                | =                | -
plan_ready       | ci:failure                | =                | -
plan_ready       | ci:none                   | =                | -
plan_ready       | changes_requested:write   | =                | reply:not_now
plan_ready       | changes_requested:read    | =                | -
plan_ready       | fix_findings:write        | =                | reply:not_now
plan_ready       | fix_findings:read         | =                | reply:unauthorized
plan_ready       | rerun:write               | =                | reply:not_now
plan_ready       | rerun:read                | =                | reply:unauthorized
plan_ready       | pr_merged                 | done             | close_issue sync_status
plan_ready       | pr_closed                 | abandoned        | cancel_jobs sync_status reply:abandoned
plan_ready       | stuck                     | =                | -
plan_ready       | uninstalled               | cancelled        | cancel_jobs
tests_generating | start:write               | =                | react:eyes reply:not_now
tests_generating | start:read                | =                | react:confused reply:unauthorized
tests_generating | /build:write              | =                | react:eyes reply:not_now
tests_generating | /build:read               | =                | react:confused reply:unauthorized
tests_generating | /approve:write            | =                | react:eyes reply:not_now
tests_generating | /approve:read             | =                | react:confused reply:unauthorized
tests_generating | /revise:write             | =                | react:eyes reply:not_now
tests_generating | /revise:read              | =                | react:confused reply:unauthorized
tests_generating | /retry:write              | =                | react:eyes reply:not_now
tests_generating | /retry:read               | =                | react:confused reply:unauthorized
tests_generating | /cancel:write             | cancelled        | react:eyes cancel_jobs sync_status reply:cancelled
tests_generating | /cancel:read              | =                | react:confused reply:unauthorized
tests_generating | /status:write             | =                | react:eyes reply:status
tests_generating | /status:read              | =                | react:eyes reply:status
tests_generating | /help:write               | =                | react:eyes reply:help
tests_generating | /help:read                | =                | react:eyes reply:help
tests_generating | /fix:write                | =                | react:eyes reply:not_now
tests_generating | /fix:read                 | =                | react:confused reply:unauthorized
tests_generating | label:write               | =                | reply:not_now remove_label
tests_generating | label:read                | =                | reply:unauthorized remove_label
tests_generating | comment:author            | =                | react:eyes run_agent:ba
tests_generating | comment:stranger          | =                | -
tests_generating | finished:ba               | =                | sync_status
tests_generating | finished:spec             | =                | -
tests_generating | finished:plan             | =                | -
tests_generating | finished:tests            | tests_ready      | run_agent:alignment_review sync_status
tests_generating | finished:implement        | =                | -
tests_generating | finished:docs             | =                | -
tests_generating | finished:security_review  | =                | -
tests_generating | finished:code_review      | =                | -
tests_generating | finished:alignment_review | =                | sync_status
tests_generating | finished:title            | =                | sync_status
tests_generating | failed:ba                 | =                | sync_status reply:failed
tests_generating | failed:spec               | =                | -
tests_generating | failed:plan               | =                | -
tests_generating | failed:tests              | failed           | sync_status reply:failed
tests_generating | failed:implement          | =                | -
tests_generating | failed:docs               | =                | -
tests_generating | failed:security_review    | =                | -
tests_generating | failed:code_review        | =                | -
tests_generating | failed:alignment_review   | =                | -
tests_generating | failed:title              | =                | -
tests_generating | verdict:pass              | =                | -
tests_generating | verdict:fail              | =                | -
tests_generating | verdict:pass:ci-pending   | =                | -
tests_generating | verdict:pass:ci-red       | =                | -
tests_generating | ci:success                | =                | -
tests_generating | ci:failure                | =                | -
tests_generating | ci:none                   | =                | -
tests_generating | changes_requested:write   | =                | reply:not_now
tests_generating | changes_requested:read    | =                | -
tests_generating | fix_findings:write        | =                | reply:not_now
tests_generating | fix_findings:read         | =                | reply:unauthorized
tests_generating | rerun:write               | =                | reply:not_now
tests_generating | rerun:read                | =                | reply:unauthorized
tests_generating | pr_merged                 | done             | cancel_jobs close_issue sync_status
tests_generating | pr_closed                 | abandoned        | cancel_jobs sync_status reply:abandoned
tests_generating | stuck                     | failed           | cancel_jobs sync_status reply:failed
tests_generating | uninstalled               | cancelled        | cancel_jobs
tests_ready      | start:write               | =                | react:eyes reply:not_now
tests_ready      | start:read                | =                | react:confused reply:unauthorized
tests_ready      | /build:write              | =                | react:eyes reply:not_now
tests_ready      | /build:read               | =                | react:confused reply:unauthorized
tests_ready      | /approve:write            | implementing     | react:+1 record_approval run_agent:implement sync_status
tests_ready      | /approve:read             | =                | react:confused reply:unauthorized
tests_ready      | /revise:write             | spec_generating  | react:eyes run_agent:spec sync_status
tests_ready      | /revise:read              | =                | react:confused reply:unauthorized
tests_ready      | /retry:write              | =                | react:eyes reply:not_now
tests_ready      | /retry:read               | =                | react:confused reply:unauthorized
tests_ready      | /cancel:write             | cancelled        | react:eyes cancel_jobs sync_status reply:cancelled
tests_ready      | /cancel:read              | =                | react:confused reply:unauthorized
tests_ready      | /status:write             | =                | react:eyes reply:status
tests_ready      | /status:read              | =                | react:eyes reply:status
tests_ready      | /help:write               | =                | react:eyes reply:help
tests_ready      | /help:read                | =                | react:eyes reply:help
tests_ready      | /fix:write                | =                | react:eyes reply:not_now
tests_ready      | /fix:read                 | =                | react:confused reply:unauthorized
tests_ready      | label:write               | implementing     | record_approval run_agent:implement sync_status reply:approved remove_label
tests_ready      | label:read                | =                | reply:unauthorized remove_label
tests_ready      | comment:author            | =                | react:eyes run_agent:ba
tests_ready      | comment:stranger          | =                | -
tests_ready      | finished:ba               | =                | sync_status
tests_ready      | finished:spec             | =                | -
tests_ready      | finished:plan             | =                | -
tests_ready      | finished:tests            | =                | -
tests_ready      | finished:implement        | =                | -
tests_ready      | finished:docs             | =                | -
tests_ready      | finished:security_review  | =                | -
tests_ready      | finished:code_review      | =                | -
tests_ready      | finished:alignment_review | =                | sync_status
tests_ready      | finished:title            | =                | sync_status
tests_ready      | failed:ba                 | =                | sync_status reply:failed
tests_ready      | failed:spec               | =                | -
tests_ready      | failed:plan               | =                | -
tests_ready      | failed:tests              | =                | -
tests_ready      | failed:implement          | =                | -
tests_ready      | failed:docs               | =                | -
tests_ready      | failed:security_review    | =                | -
tests_ready      | failed:code_review        | =                | -
tests_ready      | failed:alignment_review   | =                | sync_status reply:failed
tests_ready      | failed:title              | =                | -
tests_ready      | verdict:pass              | =                | -
tests_ready      | verdict:fail              | =                | -
tests_ready      | verdict:pass:ci-pending   | =                | -
tests_ready      | verdict:pass:ci-red       | =                | -
tests_ready      | ci:success                | =                | run_agent:alignment_review sync_status
tests_ready      | ci:failure                | =                | -
tests_ready      | ci:none                   | =                | -
tests_ready      | changes_requested:write   | =                | reply:not_now
tests_ready      | changes_requested:read    | =                | -
tests_ready      | fix_findings:write        | =                | reply:not_now
tests_ready      | fix_findings:read         | =                | reply:unauthorized
tests_ready      | rerun:write               | =                | reply:not_now
tests_ready      | rerun:read                | =                | reply:unauthorized
tests_ready      | pr_merged                 | done             | close_issue sync_status
tests_ready      | pr_closed                 | abandoned        | cancel_jobs sync_status reply:abandoned
tests_ready      | stuck                     | =                | -
tests_ready      | uninstalled               | cancelled        | cancel_jobs
implementing     | start:write               | =                | react:eyes reply:not_now
implementing     | start:read                | =                | react:confused reply:unauthorized
implementing     | /build:write              | =                | react:eyes reply:not_now
implementing     | /build:read               | =                | react:confused reply:unauthorized
implementing     | /approve:write            | =                | react:eyes reply:not_now
implementing     | /approve:read             | =                | react:confused reply:unauthorized
implementing     | /revise:write             | =                | react:eyes reply:not_now
implementing     | /revise:read              | =                | react:confused reply:unauthorized
implementing     | /retry:write              | =                | react:eyes reply:not_now
implementing     | /retry:read               | =                | react:confused reply:unauthorized
implementing     | /cancel:write             | cancelled        | react:eyes cancel_jobs sync_status reply:cancelled
implementing     | /cancel:read              | =                | react:confused reply:unauthorized
implementing     | /status:write             | =                | react:eyes reply:status
implementing     | /status:read              | =                | react:eyes reply:status
implementing     | /help:write               | =                | react:eyes reply:help
implementing     | /help:read                | =                | react:eyes reply:help
implementing     | /fix:write                | =                | react:eyes reply:not_now
implementing     | /fix:read                 | =                | react:confused reply:unauthorized
implementing     | label:write               | =                | reply:not_now remove_label
implementing     | label:read                | =                | reply:unauthorized remove_label
implementing     | comment:author            | =                | react:eyes run_agent:ba
implementing     | comment:stranger          | =                | -
implementing     | finished:ba               | =                | sync_status
implementing     | finished:spec             | =                | -
implementing     | finished:plan             | =                | -
implementing     | finished:tests            | =                | -
implementing     | finished:implement        | documenting      | run_agent:docs sync_status
implementing     | finished:docs             | =                | -
implementing     | finished:security_review  | =                | -
implementing     | finished:code_review      | =                | -
implementing     | finished:alignment_review | =                | sync_status
implementing     | finished:title            | =                | sync_status
implementing     | failed:ba                 | =                | sync_status reply:failed
implementing     | failed:spec               | =                | -
implementing     | failed:plan               | =                | -
implementing     | failed:tests              | =                | -
implementing     | failed:implement          | failed           | sync_status reply:failed
implementing     | failed:docs               | =                | -
implementing     | failed:security_review    | =                | -
implementing     | failed:code_review        | =                | -
implementing     | failed:alignment_review   | =                | -
implementing     | failed:title              | =                | -
implementing     | verdict:pass              | =                | -
implementing     | verdict:fail              | =                | -
implementing     | verdict:pass:ci-pending   | =                | -
implementing     | verdict:pass:ci-red       | =                | -
implementing     | ci:success                | =                | -
implementing     | ci:failure                | =                | -
implementing     | ci:none                   | =                | -
implementing     | changes_requested:write   | =                | reply:not_now
implementing     | changes_requested:read    | =                | -
implementing     | fix_findings:write        | =                | reply:not_now
implementing     | fix_findings:read         | =                | reply:unauthorized
implementing     | rerun:write               | =                | reply:not_now
implementing     | rerun:read                | =                | reply:unauthorized
implementing     | pr_merged                 | done             | cancel_jobs close_issue sync_status
implementing     | pr_closed                 | abandoned        | cancel_jobs sync_status reply:abandoned
implementing     | stuck                     | failed           | cancel_jobs sync_status reply:failed
implementing     | uninstalled               | cancelled        | cancel_jobs
documenting      | start:write               | =                | react:eyes reply:not_now
documenting      | start:read                | =                | react:confused reply:unauthorized
documenting      | /build:write              | =                | react:eyes reply:not_now
documenting      | /build:read               | =                | react:confused reply:unauthorized
documenting      | /approve:write            | =                | react:eyes reply:not_now
documenting      | /approve:read             | =                | react:confused reply:unauthorized
documenting      | /revise:write             | =                | react:eyes reply:not_now
documenting      | /revise:read              | =                | react:confused reply:unauthorized
documenting      | /retry:write              | =                | react:eyes reply:not_now
documenting      | /retry:read               | =                | react:confused reply:unauthorized
documenting      | /cancel:write             | cancelled        | react:eyes cancel_jobs sync_status reply:cancelled
documenting      | /cancel:read              | =                | react:confused reply:unauthorized
documenting      | /status:write             | =                | react:eyes reply:status
documenting      | /status:read              | =                | react:eyes reply:status
documenting      | /help:write               | =                | react:eyes reply:help
documenting      | /help:read                | =                | react:eyes reply:help
documenting      | /fix:write                | =                | react:eyes reply:not_now
documenting      | /fix:read                 | =                | react:confused reply:unauthorized
documenting      | label:write               | =                | reply:not_now remove_label
documenting      | label:read                | =                | reply:unauthorized remove_label
documenting      | comment:author            | =                | react:eyes run_agent:ba
documenting      | comment:stranger          | =                | -
documenting      | finished:ba               | =                | sync_status
documenting      | finished:spec             | =                | -
documenting      | finished:plan             | =                | -
documenting      | finished:tests            | =                | -
documenting      | finished:implement        | =                | -
documenting      | finished:docs             | reviewing        | run_reviews sync_status
documenting      | finished:security_review  | =                | -
documenting      | finished:code_review      | =                | -
documenting      | finished:alignment_review | =                | sync_status
documenting      | finished:title            | =                | sync_status
documenting      | failed:ba                 | =                | sync_status reply:failed
documenting      | failed:spec               | =                | -
documenting      | failed:plan               | =                | -
documenting      | failed:tests              | =                | -
documenting      | failed:implement          | =                | -
documenting      | failed:docs               | failed           | sync_status reply:failed
documenting      | failed:security_review    | =                | -
documenting      | failed:code_review        | =                | -
documenting      | failed:alignment_review   | =                | -
documenting      | failed:title              | =                | -
documenting      | verdict:pass              | =                | -
documenting      | verdict:fail              | =                | -
documenting      | verdict:pass:ci-pending   | =                | -
documenting      | verdict:pass:ci-red       | =                | -
documenting      | ci:success                | =                | -
documenting      | ci:failure                | =                | -
documenting      | ci:none                   | =                | -
documenting      | changes_requested:write   | =                | reply:not_now
documenting      | changes_requested:read    | =                | -
documenting      | fix_findings:write        | =                | reply:not_now
documenting      | fix_findings:read         | =                | reply:unauthorized
documenting      | rerun:write               | =                | reply:not_now
documenting      | rerun:read                | =                | reply:unauthorized
documenting      | pr_merged                 | done             | cancel_jobs close_issue sync_status
documenting      | pr_closed                 | abandoned        | cancel_jobs sync_status reply:abandoned
documenting      | stuck                     | failed           | cancel_jobs sync_status reply:failed
documenting      | uninstalled               | cancelled        | cancel_jobs
reviewing        | start:write               | =                | react:eyes reply:not_now
reviewing        | start:read                | =                | react:confused reply:unauthorized
reviewing        | /build:write              | =                | react:eyes reply:not_now
reviewing        | /build:read               | =                | react:confused reply:unauthorized
reviewing        | /approve:write            | =                | react:eyes reply:not_now
reviewing        | /approve:read             | =                | react:confused reply:unauthorized
reviewing        | /revise:write             | =                | react:eyes reply:not_now
reviewing        | /revise:read              | =                | react:confused reply:unauthorized
reviewing        | /retry:write              | =                | react:eyes reply:not_now
reviewing        | /retry:read               | =                | react:confused reply:unauthorized
reviewing        | /cancel:write             | cancelled        | react:eyes cancel_jobs sync_status reply:cancelled
reviewing        | /cancel:read              | =                | react:confused reply:unauthorized
reviewing        | /status:write             | =                | react:eyes reply:status
reviewing        | /status:read              | =                | react:eyes reply:status
reviewing        | /help:write               | =                | react:eyes reply:help
reviewing        | /help:read                | =                | react:eyes reply:help
reviewing        | /fix:write                | =                | react:eyes reply:not_now
reviewing        | /fix:read                 | =                | react:confused reply:unauthorized
reviewing        | label:write               | =                | reply:not_now remove_label
reviewing        | label:read                | =                | reply:unauthorized remove_label
reviewing        | comment:author            | =                | react:eyes run_agent:ba
reviewing        | comment:stranger          | =                | -
reviewing        | finished:ba               | =                | sync_status
reviewing        | finished:spec             | =                | -
reviewing        | finished:plan             | =                | -
reviewing        | finished:tests            | =                | -
reviewing        | finished:implement        | =                | -
reviewing        | finished:docs             | =                | -
reviewing        | finished:security_review  | =                | sync_status
reviewing        | finished:code_review      | =                | sync_status
reviewing        | finished:alignment_review | =                | sync_status
reviewing        | finished:title            | =                | sync_status
reviewing        | failed:ba                 | =                | sync_status reply:failed
reviewing        | failed:spec               | =                | -
reviewing        | failed:plan               | =                | -
reviewing        | failed:tests              | =                | -
reviewing        | failed:implement          | =                | -
reviewing        | failed:docs               | =                | -
reviewing        | failed:security_review    | failed           | sync_status reply:failed
reviewing        | failed:code_review        | failed           | sync_status reply:failed
reviewing        | failed:alignment_review   | failed           | sync_status reply:failed
reviewing        | failed:title              | =                | -
reviewing        | verdict:pass              | awaiting_merge   | mark_pr_ready+reply:ready_for_review sync_status
reviewing        | verdict:fail              | fixing           | run_agent:implement sync_status
reviewing        | verdict:pass:ci-pending   | awaiting_ci      | sync_status
reviewing        | verdict:pass:ci-red       | fixing           | run_agent:implement sync_status
reviewing        | ci:success                | =                | -
reviewing        | ci:failure                | =                | -
reviewing        | ci:none                   | =                | -
reviewing        | changes_requested:write   | =                | reply:not_now
reviewing        | changes_requested:read    | =                | -
reviewing        | fix_findings:write        | =                | reply:not_now
reviewing        | fix_findings:read         | =                | reply:unauthorized
reviewing        | rerun:write               | =                | reply:not_now
reviewing        | rerun:read                | =                | reply:unauthorized
reviewing        | pr_merged                 | done             | cancel_jobs close_issue sync_status
reviewing        | pr_closed                 | abandoned        | cancel_jobs sync_status reply:abandoned
reviewing        | stuck                     | failed           | cancel_jobs sync_status reply:failed
reviewing        | uninstalled               | cancelled        | cancel_jobs
fixing           | start:write               | =                | react:eyes reply:not_now
fixing           | start:read                | =                | react:confused reply:unauthorized
fixing           | /build:write              | =                | react:eyes reply:not_now
fixing           | /build:read               | =                | react:confused reply:unauthorized
fixing           | /approve:write            | =                | react:eyes reply:not_now
fixing           | /approve:read             | =                | react:confused reply:unauthorized
fixing           | /revise:write             | =                | react:eyes reply:not_now
fixing           | /revise:read              | =                | react:confused reply:unauthorized
fixing           | /retry:write              | =                | react:eyes reply:not_now
fixing           | /retry:read               | =                | react:confused reply:unauthorized
fixing           | /cancel:write             | cancelled        | react:eyes cancel_jobs sync_status reply:cancelled
fixing           | /cancel:read              | =                | react:confused reply:unauthorized
fixing           | /status:write             | =                | react:eyes reply:status
fixing           | /status:read              | =                | react:eyes reply:status
fixing           | /help:write               | =                | react:eyes reply:help
fixing           | /help:read                | =                | react:eyes reply:help
fixing           | /fix:write                | =                | react:eyes reply:not_now
fixing           | /fix:read                 | =                | react:confused reply:unauthorized
fixing           | label:write               | =                | reply:not_now remove_label
fixing           | label:read                | =                | reply:unauthorized remove_label
fixing           | comment:author            | =                | react:eyes run_agent:ba
fixing           | comment:stranger          | =                | -
fixing           | finished:ba               | =                | sync_status
fixing           | finished:spec             | =                | -
fixing           | finished:plan             | =                | -
fixing           | finished:tests            | =                | -
fixing           | finished:implement        | reviewing        | run_reviews sync_status
fixing           | finished:docs             | =                | -
fixing           | finished:security_review  | =                | -
fixing           | finished:code_review      | =                | -
fixing           | finished:alignment_review | =                | sync_status
fixing           | finished:title            | =                | sync_status
fixing           | failed:ba                 | =                | sync_status reply:failed
fixing           | failed:spec               | =                | -
fixing           | failed:plan               | =                | -
fixing           | failed:tests              | =                | -
fixing           | failed:implement          | failed           | sync_status reply:failed
fixing           | failed:docs               | =                | -
fixing           | failed:security_review    | =                | -
fixing           | failed:code_review        | =                | -
fixing           | failed:alignment_review   | =                | -
fixing           | failed:title              | =                | -
fixing           | verdict:pass              | =                | -
fixing           | verdict:fail              | =                | -
fixing           | verdict:pass:ci-pending   | =                | -
fixing           | verdict:pass:ci-red       | =                | -
fixing           | ci:success                | =                | -
fixing           | ci:failure                | =                | -
fixing           | ci:none                   | =                | -
fixing           | changes_requested:write   | =                | reply:not_now
fixing           | changes_requested:read    | =                | -
fixing           | fix_findings:write        | =                | reply:not_now
fixing           | fix_findings:read         | =                | reply:unauthorized
fixing           | rerun:write               | =                | reply:not_now
fixing           | rerun:read                | =                | reply:unauthorized
fixing           | pr_merged                 | done             | cancel_jobs close_issue sync_status
fixing           | pr_closed                 | abandoned        | cancel_jobs sync_status reply:abandoned
fixing           | stuck                     | failed           | cancel_jobs sync_status reply:failed
fixing           | uninstalled               | cancelled        | cancel_jobs
awaiting_ci      | start:write               | =                | react:eyes reply:not_now
awaiting_ci      | start:read                | =                | react:confused reply:unauthorized
awaiting_ci      | /build:write              | =                | react:eyes reply:not_now
awaiting_ci      | /build:read               | =                | react:confused reply:unauthorized
awaiting_ci      | /approve:write            | =                | react:eyes reply:not_now
awaiting_ci      | /approve:read             | =                | react:confused reply:unauthorized
awaiting_ci      | /revise:write             | =                | react:eyes reply:not_now
awaiting_ci      | /revise:read              | =                | react:confused reply:unauthorized
awaiting_ci      | /retry:write              | =                | react:eyes reply:not_now
awaiting_ci      | /retry:read               | =                | react:confused reply:unauthorized
awaiting_ci      | /cancel:write             | cancelled        | react:eyes cancel_jobs sync_status reply:cancelled
awaiting_ci      | /cancel:read              | =                | react:confused reply:unauthorized
awaiting_ci      | /status:write             | =                | react:eyes reply:status
awaiting_ci      | /status:read              | =                | react:eyes reply:status
awaiting_ci      | /help:write               | =                | react:eyes reply:help
awaiting_ci      | /help:read                | =                | react:eyes reply:help
awaiting_ci      | /fix:write                | fixing           | react:eyes run_agent:implement sync_status
awaiting_ci      | /fix:read                 | =                | react:confused reply:unauthorized
awaiting_ci      | label:write               | =                | reply:not_now remove_label
awaiting_ci      | label:read                | =                | reply:unauthorized remove_label
awaiting_ci      | comment:author            | =                | react:eyes run_agent:ba
awaiting_ci      | comment:stranger          | =                | -
awaiting_ci      | finished:ba               | =                | sync_status
awaiting_ci      | finished:spec             | =                | -
awaiting_ci      | finished:plan             | =                | -
awaiting_ci      | finished:tests            | =                | -
awaiting_ci      | finished:implement        | =                | -
awaiting_ci      | finished:docs             | =                | -
awaiting_ci      | finished:security_review  | =                | -
awaiting_ci      | finished:code_review      | =                | -
awaiting_ci      | finished:alignment_review | =                | sync_status
awaiting_ci      | finished:title            | =                | sync_status
awaiting_ci      | failed:ba                 | =                | sync_status reply:failed
awaiting_ci      | failed:spec               | =                | -
awaiting_ci      | failed:plan               | =                | -
awaiting_ci      | failed:tests              | =                | -
awaiting_ci      | failed:implement          | =                | -
awaiting_ci      | failed:docs               | =                | -
awaiting_ci      | failed:security_review    | =                | -
awaiting_ci      | failed:code_review        | =                | -
awaiting_ci      | failed:alignment_review   | =                | -
awaiting_ci      | failed:title              | =                | -
awaiting_ci      | verdict:pass              | =                | -
awaiting_ci      | verdict:fail              | =                | -
awaiting_ci      | verdict:pass:ci-pending   | =                | -
awaiting_ci      | verdict:pass:ci-red       | =                | -
awaiting_ci      | ci:success                | awaiting_merge   | mark_pr_ready+reply:ready_for_review sync_status
awaiting_ci      | ci:failure                | fixing           | run_agent:implement sync_status
awaiting_ci      | ci:none                   | awaiting_merge   | mark_pr_ready+reply:ready_for_review sync_status
awaiting_ci      | changes_requested:write   | fixing           | run_agent:implement sync_status
awaiting_ci      | changes_requested:read    | =                | -
awaiting_ci      | fix_findings:write        | fixing           | run_agent:implement sync_status
awaiting_ci      | fix_findings:read         | =                | reply:unauthorized
awaiting_ci      | rerun:write               | reviewing        | run_reviews sync_status
awaiting_ci      | rerun:read                | =                | reply:unauthorized
awaiting_ci      | pr_merged                 | done             | close_issue sync_status
awaiting_ci      | pr_closed                 | abandoned        | cancel_jobs sync_status reply:abandoned
awaiting_ci      | stuck                     | =                | -
awaiting_ci      | uninstalled               | cancelled        | cancel_jobs
awaiting_merge   | start:write               | =                | react:eyes reply:not_now
awaiting_merge   | start:read                | =                | react:confused reply:unauthorized
awaiting_merge   | /build:write              | =                | react:eyes reply:not_now
awaiting_merge   | /build:read               | =                | react:confused reply:unauthorized
awaiting_merge   | /approve:write            | =                | react:eyes reply:not_now
awaiting_merge   | /approve:read             | =                | react:confused reply:unauthorized
awaiting_merge   | /revise:write             | =                | react:eyes reply:not_now
awaiting_merge   | /revise:read              | =                | react:confused reply:unauthorized
awaiting_merge   | /retry:write              | =                | react:eyes reply:not_now
awaiting_merge   | /retry:read               | =                | react:confused reply:unauthorized
awaiting_merge   | /cancel:write             | cancelled        | react:eyes cancel_jobs sync_status reply:cancelled
awaiting_merge   | /cancel:read              | =                | react:confused reply:unauthorized
awaiting_merge   | /status:write             | =                | react:eyes reply:status
awaiting_merge   | /status:read              | =                | react:eyes reply:status
awaiting_merge   | /help:write               | =                | react:eyes reply:help
awaiting_merge   | /help:read                | =                | react:eyes reply:help
awaiting_merge   | /fix:write                | fixing           | react:eyes run_agent:implement sync_status
awaiting_merge   | /fix:read                 | =                | react:confused reply:unauthorized
awaiting_merge   | label:write               | =                | reply:not_now remove_label
awaiting_merge   | label:read                | =                | reply:unauthorized remove_label
awaiting_merge   | comment:author            | =                | react:eyes run_agent:ba
awaiting_merge   | comment:stranger          | =                | -
awaiting_merge   | finished:ba               | =                | sync_status
awaiting_merge   | finished:spec             | =                | -
awaiting_merge   | finished:plan             | =                | -
awaiting_merge   | finished:tests            | =                | -
awaiting_merge   | finished:implement        | =                | -
awaiting_merge   | finished:docs             | =                | -
awaiting_merge   | finished:security_review  | =                | -
awaiting_merge   | finished:code_review      | =                | -
awaiting_merge   | finished:alignment_review | =                | sync_status
awaiting_merge   | finished:title            | =                | sync_status
awaiting_merge   | failed:ba                 | =                | sync_status reply:failed
awaiting_merge   | failed:spec               | =                | -
awaiting_merge   | failed:plan               | =                | -
awaiting_merge   | failed:tests              | =                | -
awaiting_merge   | failed:implement          | =                | -
awaiting_merge   | failed:docs               | =                | -
awaiting_merge   | failed:security_review    | =                | -
awaiting_merge   | failed:code_review        | =                | -
awaiting_merge   | failed:alignment_review   | =                | -
awaiting_merge   | failed:title              | =                | -
awaiting_merge   | verdict:pass              | =                | -
awaiting_merge   | verdict:fail              | =                | -
awaiting_merge   | verdict:pass:ci-pending   | =                | -
awaiting_merge   | verdict:pass:ci-red       | =                | -
awaiting_merge   | ci:success                | =                | -
awaiting_merge   | ci:failure                | fixing           | run_agent:implement sync_status
awaiting_merge   | ci:none                   | =                | -
awaiting_merge   | changes_requested:write   | fixing           | run_agent:implement sync_status
awaiting_merge   | changes_requested:read    | =                | -
awaiting_merge   | fix_findings:write        | fixing           | run_agent:implement sync_status
awaiting_merge   | fix_findings:read         | =                | reply:unauthorized
awaiting_merge   | rerun:write               | reviewing        | run_reviews sync_status
awaiting_merge   | rerun:read                | =                | reply:unauthorized
awaiting_merge   | pr_merged                 | done             | close_issue sync_status
awaiting_merge   | pr_closed                 | abandoned        | cancel_jobs sync_status reply:abandoned
awaiting_merge   | stuck                     | =                | -
awaiting_merge   | uninstalled               | cancelled        | cancel_jobs
done             | start:write               | =                | react:eyes reply:not_now
done             | start:read                | =                | react:confused reply:unauthorized
done             | /build:write              | =                | react:eyes reply:not_now
done             | /build:read               | =                | react:confused reply:unauthorized
done             | /approve:write            | =                | react:eyes reply:not_now
done             | /approve:read             | =                | react:confused reply:unauthorized
done             | /revise:write             | =                | react:eyes reply:not_now
done             | /revise:read              | =                | react:confused reply:unauthorized
done             | /retry:write              | =                | react:eyes reply:not_now
done             | /retry:read               | =                | react:confused reply:unauthorized
done             | /cancel:write             | =                | react:eyes reply:not_now
done             | /cancel:read              | =                | react:confused reply:unauthorized
done             | /status:write             | =                | react:eyes reply:status
done             | /status:read              | =                | react:eyes reply:status
done             | /help:write               | =                | react:eyes reply:help
done             | /help:read                | =                | react:eyes reply:help
done             | /fix:write                | =                | react:eyes reply:not_now
done             | /fix:read                 | =                | react:confused reply:unauthorized
done             | label:write               | =                | reply:not_now remove_label
done             | label:read                | =                | reply:unauthorized remove_label
done             | comment:author            | =                | -
done             | comment:stranger          | =                | -
done             | finished:ba               | =                | -
done             | finished:spec             | =                | -
done             | finished:plan             | =                | -
done             | finished:tests            | =                | -
done             | finished:implement        | =                | -
done             | finished:docs             | =                | -
done             | finished:security_review  | =                | -
done             | finished:code_review      | =                | -
done             | finished:alignment_review | =                | -
done             | finished:title            | =                | -
done             | failed:ba                 | =                | -
done             | failed:spec               | =                | -
done             | failed:plan               | =                | -
done             | failed:tests              | =                | -
done             | failed:implement          | =                | -
done             | failed:docs               | =                | -
done             | failed:security_review    | =                | -
done             | failed:code_review        | =                | -
done             | failed:alignment_review   | =                | -
done             | failed:title              | =                | -
done             | verdict:pass              | =                | -
done             | verdict:fail              | =                | -
done             | verdict:pass:ci-pending   | =                | -
done             | verdict:pass:ci-red       | =                | -
done             | ci:success                | =                | -
done             | ci:failure                | =                | -
done             | ci:none                   | =                | -
done             | changes_requested:write   | =                | -
done             | changes_requested:read    | =                | -
done             | fix_findings:write        | =                | -
done             | fix_findings:read         | =                | -
done             | rerun:write               | =                | -
done             | rerun:read                | =                | -
done             | pr_merged                 | =                | -
done             | pr_closed                 | =                | -
done             | stuck                     | =                | -
done             | uninstalled               | =                | -
failed           | start:write               | =                | react:eyes reply:not_now
failed           | start:read                | =                | react:confused reply:unauthorized
failed           | /build:write              | =                | react:eyes reply:not_now
failed           | /build:read               | =                | react:confused reply:unauthorized
failed           | /approve:write            | =                | react:eyes reply:not_now
failed           | /approve:read             | =                | react:confused reply:unauthorized
failed           | /revise:write             | =                | react:eyes reply:not_now
failed           | /revise:read              | =                | react:confused reply:unauthorized
failed           | /retry:write              | reviewing        | react:eyes cancel_jobs run_reviews sync_status reply:retrying
failed           | /retry:read               | =                | react:confused reply:unauthorized
failed           | /cancel:write             | cancelled        | react:eyes cancel_jobs sync_status reply:cancelled
failed           | /cancel:read              | =                | react:confused reply:unauthorized
failed           | /status:write             | =                | react:eyes reply:status
failed           | /status:read              | =                | react:eyes reply:status
failed           | /help:write               | =                | react:eyes reply:help
failed           | /help:read                | =                | react:eyes reply:help
failed           | /fix:write                | fixing           | react:eyes run_agent:implement sync_status
failed           | /fix:read                 | =                | react:confused reply:unauthorized
failed           | label:write               | =                | reply:not_now remove_label
failed           | label:read                | =                | reply:unauthorized remove_label
failed           | comment:author            | =                | react:eyes run_agent:ba
failed           | comment:stranger          | =                | -
failed           | finished:ba               | =                | sync_status
failed           | finished:spec             | =                | -
failed           | finished:plan             | =                | -
failed           | finished:tests            | =                | -
failed           | finished:implement        | =                | -
failed           | finished:docs             | =                | -
failed           | finished:security_review  | =                | -
failed           | finished:code_review      | =                | -
failed           | finished:alignment_review | =                | sync_status
failed           | finished:title            | =                | sync_status
failed           | failed:ba                 | =                | -
failed           | failed:spec               | =                | -
failed           | failed:plan               | =                | -
failed           | failed:tests              | =                | -
failed           | failed:implement          | =                | -
failed           | failed:docs               | =                | -
failed           | failed:security_review    | =                | -
failed           | failed:code_review        | =                | -
failed           | failed:alignment_review   | =                | -
failed           | failed:title              | =                | -
failed           | verdict:pass              | =                | -
failed           | verdict:fail              | =                | -
failed           | verdict:pass:ci-pending   | =                | -
failed           | verdict:pass:ci-red       | =                | -
failed           | ci:success                | =                | -
failed           | ci:failure                | =                | -
failed           | ci:none                   | =                | -
failed           | changes_requested:write   | fixing           | run_agent:implement sync_status
failed           | changes_requested:read    | =                | -
failed           | fix_findings:write        | fixing           | run_agent:implement sync_status
failed           | fix_findings:read         | =                | reply:unauthorized
failed           | rerun:write               | reviewing        | run_reviews sync_status
failed           | rerun:read                | =                | reply:unauthorized
failed           | pr_merged                 | done             | close_issue sync_status
failed           | pr_closed                 | abandoned        | cancel_jobs sync_status reply:abandoned
failed           | stuck                     | =                | -
failed           | uninstalled               | cancelled        | cancel_jobs
cancelled        | start:write               | drafting         | react:eyes run_agent:ba sync_status
cancelled        | start:read                | =                | react:confused reply:unauthorized
cancelled        | /build:write              | drafting         | react:eyes run_agent:ba sync_status
cancelled        | /build:read               | =                | react:confused reply:unauthorized
cancelled        | /approve:write            | =                | react:eyes reply:not_now
cancelled        | /approve:read             | =                | react:confused reply:unauthorized
cancelled        | /revise:write             | =                | react:eyes reply:not_now
cancelled        | /revise:read              | =                | react:confused reply:unauthorized
cancelled        | /retry:write              | =                | react:eyes reply:not_now
cancelled        | /retry:read               | =                | react:confused reply:unauthorized
cancelled        | /cancel:write             | =                | react:eyes reply:not_now
cancelled        | /cancel:read              | =                | react:confused reply:unauthorized
cancelled        | /status:write             | =                | react:eyes reply:status
cancelled        | /status:read              | =                | react:eyes reply:status
cancelled        | /help:write               | =                | react:eyes reply:help
cancelled        | /help:read                | =                | react:eyes reply:help
cancelled        | /fix:write                | =                | react:eyes reply:not_now
cancelled        | /fix:read                 | =                | react:confused reply:unauthorized
cancelled        | label:write               | =                | reply:not_now remove_label
cancelled        | label:read                | =                | reply:unauthorized remove_label
cancelled        | comment:author            | =                | -
cancelled        | comment:stranger          | =                | -
cancelled        | finished:ba               | =                | -
cancelled        | finished:spec             | =                | -
cancelled        | finished:plan             | =                | -
cancelled        | finished:tests            | =                | -
cancelled        | finished:implement        | =                | -
cancelled        | finished:docs             | =                | -
cancelled        | finished:security_review  | =                | -
cancelled        | finished:code_review      | =                | -
cancelled        | finished:alignment_review | =                | -
cancelled        | finished:title            | =                | -
cancelled        | failed:ba                 | =                | -
cancelled        | failed:spec               | =                | -
cancelled        | failed:plan               | =                | -
cancelled        | failed:tests              | =                | -
cancelled        | failed:implement          | =                | -
cancelled        | failed:docs               | =                | -
cancelled        | failed:security_review    | =                | -
cancelled        | failed:code_review        | =                | -
cancelled        | failed:alignment_review   | =                | -
cancelled        | failed:title              | =                | -
cancelled        | verdict:pass              | =                | -
cancelled        | verdict:fail              | =                | -
cancelled        | verdict:pass:ci-pending   | =                | -
cancelled        | verdict:pass:ci-red       | =                | -
cancelled        | ci:success                | =                | -
cancelled        | ci:failure                | =                | -
cancelled        | ci:none                   | =                | -
cancelled        | changes_requested:write   | =                | -
cancelled        | changes_requested:read    | =                | -
cancelled        | fix_findings:write        | =                | -
cancelled        | fix_findings:read         | =                | -
cancelled        | rerun:write               | =                | -
cancelled        | rerun:read                | =                | -
cancelled        | pr_merged                 | =                | -
cancelled        | pr_closed                 | =                | -
cancelled        | stuck                     | =                | -
cancelled        | uninstalled               | =                | -
abandoned        | start:write               | drafting         | react:eyes run_agent:ba sync_status
abandoned        | start:read                | =                | react:confused reply:unauthorized
abandoned        | /build:write              | drafting         | react:eyes run_agent:ba sync_status
abandoned        | /build:read               | =                | react:confused reply:unauthorized
abandoned        | /approve:write            | =                | react:eyes reply:not_now
abandoned        | /approve:read             | =                | react:confused reply:unauthorized
abandoned        | /revise:write             | =                | react:eyes reply:not_now
abandoned        | /revise:read              | =                | react:confused reply:unauthorized
abandoned        | /retry:write              | =                | react:eyes reply:not_now
abandoned        | /retry:read               | =                | react:confused reply:unauthorized
abandoned        | /cancel:write             | =                | react:eyes reply:not_now
abandoned        | /cancel:read              | =                | react:confused reply:unauthorized
abandoned        | /status:write             | =                | react:eyes reply:status
abandoned        | /status:read              | =                | react:eyes reply:status
abandoned        | /help:write               | =                | react:eyes reply:help
abandoned        | /help:read                | =                | react:eyes reply:help
abandoned        | /fix:write                | =                | react:eyes reply:not_now
abandoned        | /fix:read                 | =                | react:confused reply:unauthorized
abandoned        | label:write               | =                | reply:not_now remove_label
abandoned        | label:read                | =                | reply:unauthorized remove_label
abandoned        | comment:author            | =                | -
abandoned        | comment:stranger          | =                | -
abandoned        | finished:ba               | =                | -
abandoned        | finished:spec             | =                | -
abandoned        | finished:plan             | =                | -
abandoned        | finished:tests            | =                | -
abandoned        | finished:implement        | =                | -
abandoned        | finished:docs             | =                | -
abandoned        | finished:security_review  | =                | -
abandoned        | finished:code_review      | =                | -
abandoned        | finished:alignment_review | =                | -
abandoned        | finished:title            | =                | -
abandoned        | failed:ba                 | =                | -
abandoned        | failed:spec               | =                | -
abandoned        | failed:plan               | =                | -
abandoned        | failed:tests              | =                | -
abandoned        | failed:implement          | =                | -
abandoned        | failed:docs               | =                | -
abandoned        | failed:security_review    | =                | -
abandoned        | failed:code_review        | =                | -
abandoned        | failed:alignment_review   | =                | -
abandoned        | failed:title              | =                | -
abandoned        | verdict:pass              | =                | -
abandoned        | verdict:fail              | =                | -
abandoned        | verdict:pass:ci-pending   | =                | -
abandoned        | verdict:pass:ci-red       | =                | -
abandoned        | ci:success                | =                | -
abandoned        | ci:failure                | =                | -
abandoned        | ci:none                   | =                | -
abandoned        | changes_requested:write   | =                | -
abandoned        | changes_requested:read    | =                | -
abandoned        | fix_findings:write        | =                | -
abandoned        | fix_findings:read         | =                | -
abandoned        | rerun:write               | =                | -
abandoned        | rerun:read                | =                | -
abandoned        | pr_merged                 | =                | -
abandoned        | pr_closed                 | =                | -
abandoned        | stuck                     | =                | -
abandoned        | uninstalled               | =                | -
`;

interface Row {
  stage: Stage;
  variant: string;
  to: string;
  effects: string;
}

const ROWS: Row[] = TABLE.split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => {
    const [stage = "", variant = "", to = "", effects = ""] = line.split("|").map((c) => c.trim());
    return { stage: stage as Stage, variant, to, effects };
  });

function describeEffect(effect: Effect): string {
  switch (effect.type) {
    case "react":
      return `react:${effect.content}`;
    case "reply":
      return `reply:${effect.view}`;
    case "run_agent":
      return `run_agent:${effect.agent}`;
    case "mark_pr_ready":
      return effect.announce ? `mark_pr_ready+reply:${effect.announce.view}` : effect.type;
    default:
      return effect.type;
  }
}

describe("transition table", () => {
  it("covers every stage × every event variant exactly once", () => {
    const seen = new Set(ROWS.map((r) => `${r.stage}|${r.variant}`));
    expect(seen.size).toBe(ROWS.length);
    const expected = STAGES.flatMap((stage) => Object.keys(VARIANTS).map((v) => `${stage}|${v}`));
    expect([...seen].sort()).toEqual(expected.sort());
  });

  it("has variants for every event kind, every command (write and read) and every agent", () => {
    const kinds = new Set(Object.values(VARIANTS).map((e) => e.type));
    expect([...kinds].sort()).toEqual(Object.keys(EVENT_KINDS).sort());
    for (const name of COMMAND_NAMES) {
      expect(VARIANTS).toHaveProperty([`/${name}:write`]);
      expect(VARIANTS).toHaveProperty([`/${name}:read`]);
    }
    for (const agent of AGENTS) {
      expect(VARIANTS).toHaveProperty([`finished:${agent}`]);
      expect(VARIANTS).toHaveProperty([`failed:${agent}`]);
    }
  });

  it.each(ROWS)("$stage + $variant → $to : $effects", ({ stage, variant, to, effects }) => {
    const event = VARIANTS[variant];
    if (event === undefined) throw new Error(`no variant ${variant}`);
    const before = featureAt(stage);
    const result = transition(before, event);
    expect(result.from).toBe(stage);
    expect(result.to).toBe(to === "=" ? stage : to);
    expect(result.feature.stage).toBe(result.to);
    expect(result.feature.version).toBe(before.version);
    expect(result.effects.map(describeEffect).join(" ") || "-").toBe(effects);
    // Applying the same event to the same feature again gives the same feature, effects, keys.
    expect(transition(featureAt(stage), event)).toEqual(result);
  });
});

// With protected files waiting for `/approve protected` (commit p1p2p3p4): who may approve them,
// what a new protected commit does, and that reviews passing do not mark the PR ready. Columns:
// stage | variant | stage after | protectedPending after | effects.
const PROTECTED_TABLE = `
drafting         | /approve protected:write     | =                | -        | react:eyes approve_protected sync_status reply:protected_approved
drafting         | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
drafting         | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:self_approval
drafting         | finished:implement+protected | =                | p1p2p3p4 | -
drafting         | verdict:pass                 | =                | p1p2p3p4 | -
spec_generating  | /approve protected:write     | =                | -        | react:eyes approve_protected sync_status reply:protected_approved
spec_generating  | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
spec_generating  | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:self_approval
spec_generating  | finished:implement+protected | =                | p1p2p3p4 | -
spec_generating  | verdict:pass                 | =                | p1p2p3p4 | -
spec_ready       | /approve protected:write     | =                | -        | react:eyes approve_protected sync_status reply:protected_approved
spec_ready       | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
spec_ready       | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:self_approval
spec_ready       | finished:implement+protected | =                | p1p2p3p4 | -
spec_ready       | verdict:pass                 | =                | p1p2p3p4 | -
plan_generating  | /approve protected:write     | =                | -        | react:eyes approve_protected sync_status reply:protected_approved
plan_generating  | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
plan_generating  | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:self_approval
plan_generating  | finished:implement+protected | =                | p1p2p3p4 | -
plan_generating  | verdict:pass                 | =                | p1p2p3p4 | -
plan_ready       | /approve protected:write     | =                | -        | react:eyes approve_protected sync_status reply:protected_approved
plan_ready       | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
plan_ready       | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:self_approval
plan_ready       | finished:implement+protected | =                | p1p2p3p4 | -
plan_ready       | verdict:pass                 | =                | p1p2p3p4 | -
tests_generating | /approve protected:write     | =                | -        | react:eyes approve_protected sync_status reply:protected_approved
tests_generating | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
tests_generating | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:self_approval
tests_generating | finished:implement+protected | =                | p1p2p3p4 | -
tests_generating | verdict:pass                 | =                | p1p2p3p4 | -
tests_ready      | /approve protected:write     | =                | -        | react:eyes approve_protected sync_status reply:protected_approved
tests_ready      | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
tests_ready      | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:self_approval
tests_ready      | finished:implement+protected | =                | p1p2p3p4 | -
tests_ready      | verdict:pass                 | =                | p1p2p3p4 | -
implementing     | /approve protected:write     | =                | -        | react:eyes approve_protected sync_status reply:protected_approved
implementing     | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
implementing     | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:self_approval
implementing     | finished:implement+protected | documenting      | e5f6a7b8 | run_agent:docs sync_status
implementing     | verdict:pass                 | =                | p1p2p3p4 | -
documenting      | /approve protected:write     | =                | -        | react:eyes approve_protected sync_status reply:protected_approved
documenting      | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
documenting      | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:self_approval
documenting      | finished:implement+protected | =                | p1p2p3p4 | -
documenting      | verdict:pass                 | =                | p1p2p3p4 | -
reviewing        | /approve protected:write     | =                | -        | react:eyes approve_protected sync_status reply:protected_approved
reviewing        | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
reviewing        | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:self_approval
reviewing        | finished:implement+protected | =                | p1p2p3p4 | -
reviewing        | verdict:pass                 | awaiting_merge   | p1p2p3p4 | sync_status reply:protected_pending
fixing           | /approve protected:write     | =                | -        | react:eyes approve_protected sync_status reply:protected_approved
fixing           | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
fixing           | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:self_approval
fixing           | finished:implement+protected | reviewing        | e5f6a7b8 | run_reviews sync_status
fixing           | verdict:pass                 | =                | p1p2p3p4 | -
awaiting_ci      | /approve protected:write     | =                | -        | react:eyes approve_protected sync_status reply:protected_approved
awaiting_ci      | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
awaiting_ci      | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:self_approval
awaiting_ci      | finished:implement+protected | =                | p1p2p3p4 | -
awaiting_ci      | verdict:pass                 | =                | p1p2p3p4 | -
awaiting_merge   | /approve protected:write     | =                | -        | react:eyes approve_protected mark_pr_ready sync_status reply:protected_approved
awaiting_merge   | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
awaiting_merge   | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:self_approval
awaiting_merge   | finished:implement+protected | =                | p1p2p3p4 | -
awaiting_merge   | verdict:pass                 | =                | p1p2p3p4 | -
done             | /approve protected:write     | =                | p1p2p3p4 | react:eyes reply:nothing_to_approve
done             | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
done             | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:nothing_to_approve
done             | finished:implement+protected | =                | p1p2p3p4 | -
done             | verdict:pass                 | =                | p1p2p3p4 | -
failed           | /approve protected:write     | =                | -        | react:eyes approve_protected sync_status reply:protected_approved
failed           | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
failed           | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:self_approval
failed           | finished:implement+protected | =                | p1p2p3p4 | -
failed           | verdict:pass                 | =                | p1p2p3p4 | -
cancelled        | /approve protected:write     | =                | p1p2p3p4 | react:eyes reply:nothing_to_approve
cancelled        | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
cancelled        | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:nothing_to_approve
cancelled        | finished:implement+protected | =                | p1p2p3p4 | -
cancelled        | verdict:pass                 | =                | p1p2p3p4 | -
abandoned        | /approve protected:write     | =                | p1p2p3p4 | react:eyes reply:nothing_to_approve
abandoned        | /approve protected:read      | =                | p1p2p3p4 | react:confused reply:unauthorized
abandoned        | /approve protected:author    | =                | p1p2p3p4 | react:eyes reply:nothing_to_approve
abandoned        | finished:implement+protected | =                | p1p2p3p4 | -
abandoned        | verdict:pass                 | =                | p1p2p3p4 | -
`;

const approveProtected = (actor: { login: string; permission: "write" | "read" }) =>
  ({
    type: "command",
    command: { name: "approve", argument: "protected" },
    actor,
    commentId: 700,
  }) as const;

const PROTECTED_VARIANTS: Record<string, (issueAuthor: string) => PipelineEvent> = {
  "/approve protected:write": () => approveProtected({ login: "maintainer", permission: "write" }),
  "/approve protected:read": () => approveProtected({ login: "reader", permission: "read" }),
  "/approve protected:author": (author) => approveProtected({ login: author, permission: "write" }),
  "finished:implement+protected": () => ({
    type: "agent_finished",
    agent: "implement",
    artifactVersion: "e5f6a7b8",
    protectedChanges: true,
  }),
  "verdict:pass": () => ({ type: "review_verdict", pass: true, failed: [] }),
};

describe("transition table with protected files pending", () => {
  const rows = PROTECTED_TABLE.split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [stage = "", variant = "", to = "", pending = "", effects = ""] = line
        .split("|")
        .map((c) => c.trim());
      return { stage: stage as Stage, variant, to, pending, effects };
    });

  it("covers every stage × every variant exactly once", () => {
    const seen = new Set(rows.map((r) => `${r.stage}|${r.variant}`));
    expect(seen.size).toBe(rows.length);
    expect(seen.size).toBe(STAGES.length * Object.keys(PROTECTED_VARIANTS).length);
  });

  it.each(rows)("$stage + $variant → $to ($pending): $effects", (row) => {
    const before = featureAt(row.stage, { protectedPending: "p1p2p3p4" });
    const event = PROTECTED_VARIANTS[row.variant]?.(before.issueAuthor);
    if (event === undefined) throw new Error(`no variant ${row.variant}`);
    const result = transition(before, event);
    expect(result.to).toBe(row.to === "=" ? row.stage : row.to);
    expect(result.feature.protectedPending ?? "-").toBe(row.pending);
    expect(result.effects.map(describeEffect).join(" ") || "-").toBe(row.effects);
  });
});
