/* features.c — the list of feature modules: each contributes its routes and worker hooks.
 * Adding a feature is one line here; the router and the self-check pick it up. */
#include "application.h"
#include "escalation.h"
#include "events.h"
#include "idempotency.h"
#include "mail.h"
#include "router.h"
#include "search.h"

extern const struct route system_routes[];
extern const struct route audit_routes[];
extern const struct route signin_routes[], me_routes[], users_routes[], registry_routes[];
extern const struct route document_routes[], consent_report_routes[], consent_routes[];
extern const struct route question_routes[], escalation_routes[], mail_routes[];
extern const struct route category_routes[], thread_routes[], post_routes[], search_routes[];
extern const struct route attachment_routes[], events_routes[], notify_routes[];
extern const struct route moderation_routes[], moderate_routes[], flag_routes[];
extern const struct route idempotency_routes[];
extern const struct route application_routes[], lottery_routes[];
extern const struct route round_routes[], material_routes[], attendance_routes[], feed_routes[];
extern const struct route case_routes[];
extern const struct route visit_routes[];

const struct feature features[] = {
	{.name = "system", .routes = system_routes},
	{.name = "audit", .routes = audit_routes},
	{.name = "signin", .routes = signin_routes},
	{.name = "me", .routes = me_routes},
	{.name = "users", .routes = users_routes},
	{.name = "registry", .routes = registry_routes},
	{.name = "document", .routes = document_routes},
	{.name = "consent_report", .routes = consent_report_routes}, /* before consent: /consents/{id} */
	{.name = "consent", .routes = consent_routes},
	{.name = "question", .routes = question_routes},
	{.name = "escalation", .routes = escalation_routes, .tick = escalation_tick, .on_post = escalation_on_post},
	{.name = "mail", .routes = mail_routes, .worker_init = mail_worker_init, .worker_free = mail_worker_free,
	 .tick = mail_tick},
	{.name = "category", .routes = category_routes},
	{.name = "thread", .routes = thread_routes},
	{.name = "post", .routes = post_routes},
	{.name = "search", .routes = search_routes, .db_open = search_register, .before_commit = search_before_commit,
	 .start = search_indexer_start, .stop = search_indexer_stop},
	{.name = "attachment", .routes = attachment_routes},
	{.name = "notify", .routes = notify_routes},
	{.name = "events", .routes = events_routes, .worker_init = events_worker_init,
	 .worker_free = events_worker_free, .drain = events_drain, .tick = events_tick,
	 .access_changed = events_publish_access},
	{.name = "moderation", .routes = moderation_routes},
	{.name = "moderate", .routes = moderate_routes},
	{.name = "flag", .routes = flag_routes},
	{.name = "case", .routes = case_routes},
	{.name = "idempotency", .routes = idempotency_routes, .tick = idempotency_tick}, /* run by the router */
	{.name = "application", .routes = application_routes, .tick = application_tick},
	{.name = "lottery", .routes = lottery_routes},
	{.name = "round", .routes = round_routes},
	{.name = "material", .routes = material_routes},
	{.name = "attendance", .routes = attendance_routes},
	{.name = "feed", .routes = feed_routes},
	{.name = "visit", .routes = visit_routes},
	{0},
};
