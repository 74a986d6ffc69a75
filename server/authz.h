/* authz.h — the access module: who the caller is (struct principal), what a route demands
 * (capabilities), the consent gate, and the one visibility rule for threads. Every answer to
 * "may this person see this content?" comes from here; no other file compares roles. */
#ifndef MAMORI_AUTHZ_H
#define MAMORI_AUTHZ_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct db;

enum role { ROLE_NONE = 0, ROLE_PARTICIPANT, ROLE_EXPERT, ROLE_SECRETARIAT };

/* The signed-in caller, loaded once per request from the session (borrowed by handlers). */
struct principal {
	int64_t user_id;
	enum role role;
	int64_t company_id; /* participants; 0 otherwise */
	int64_t group_id;   /* the participant's company's group; 0 if none */
	char company_status[16];
	bool representative;
	bool totp_setup_required; /* the secretariat requires TOTP and it is not enrolled yet */
	char *name, *email;
};

/* What a route requires. Every route states one explicitly (ACCESS_UNSET is refused by the
 * router's self-check and by a unit test). Role bits restrict; no role bit means any role. */
enum access {
	ACCESS_UNSET = 0,
	ACCESS_PUBLIC = 1 << 0,      /* no session needed */
	ACCESS_SESSION = 1 << 1,     /* signed in; allowed while consent is pending */
	ACCESS_CONTENT = 1 << 2,     /* signed in, company active or completed, consent gate passed */
	ACCESS_WRITE = 1 << 3,       /* ACCESS_CONTENT and the company is not completed (read_only) */
	ACCESS_PARTICIPANT = 1 << 4, /* role bits */
	ACCESS_EXPERT = 1 << 5,
	ACCESS_SECRETARIAT = 1 << 6,
};
#define ACCESS_ROLE_MASK (ACCESS_PARTICIPANT | ACCESS_EXPERT | ACCESS_SECRETARIAT)

/* Role names as the API spells them; role_from_name returns ROLE_NONE for unknown text. */
const char *role_name(enum role r);
enum role role_from_name(const char *s);

/* True when p (NULL: not signed in) has that role. */
bool authz_is_secretariat(const struct principal *p);
bool authz_is_expert(const struct principal *p);
bool authz_is_participant(const struct principal *p);
/* Staff = experts and the secretariat. */
bool authz_is_staff(const struct principal *p);

/* Outcome of a route's access check, mapped to the API's errors by the dispatcher. */
enum access_result {
	ACCESS_OK = 0,
	ACCESS_DENIED_UNAUTHENTICATED, /* 401 unauthenticated */
	ACCESS_DENIED_ROLE,            /* 403 forbidden */
	ACCESS_DENIED_INACTIVE,        /* 403 company_inactive */
	ACCESS_DENIED_READ_ONLY,       /* 403 read_only */
	ACCESS_DENIED_CONSENT,         /* 403 consent_required, with *pending */
	ACCESS_DENIED_TOTP_SETUP,      /* 403 totp_setup_required */
};

/* First half of a route's access check (before CSRF): session and role. p is NULL when not
 * signed in. A user who must enrol TOTP first reaches only self-service routes (ACCESS_SESSION
 * without role bits: /me, enrolment, sign-out, consent documents) until enrolled. */
enum access_result authz_check_role(const struct principal *p, unsigned need);
/* Second half (after CSRF), for ACCESS_CONTENT/ACCESS_WRITE routes: company status (docs/API.md §3:
 * checked before consent), then the consent gate (§4), evaluated afresh on every request. On
 * ACCESS_DENIED_CONSENT, *pending receives a new JSON array of {document_id, kind, version,
 * scope} (caller decrefs). */
enum access_result authz_check_gate(struct db *d, const struct principal *p, unsigned need, json_t **pending);

/* The whole content decision for p, as the router makes it for a route needing `need`:
 * authz_check_role (session, role, TOTP enrolment) then authz_check_gate (company status,
 * consent). For paths that tell someone about content without a request of theirs (mail,
 * notification lists), so they hold people exactly where the routes do. pending may be NULL. */
enum access_result authz_check_content(struct db *d, const struct principal *p, unsigned need, json_t **pending);

/* The consent documents p still has to accept (new JSON array, possibly empty; caller decrefs).
 * The secretariat has none. */
json_t *authz_pending_consents(struct db *d, const struct principal *p);

/* The visibility rule (docs/API.md §5) as one SQL condition over a thread row aliased `t` with columns
 * id, visibility, company_id, group_id, using the parameters :p_uid, :p_role, :p_company and
 * :p_group (bind them with authz_bind). Every query that returns content, counts it or searches
 * it includes this condition — `"... FROM threads t WHERE " AUTHZ_THREAD_VISIBLE " AND ..."` —
 * and authz_can_read_thread uses it too, so there is one rule. Body defined at the end. */
#define AUTHZ_THREAD_VISIBLE "(" AUTHZ_THREAD_VISIBLE_BODY ")"
/* The same rule for many readers at once, read from the database instead of bound (fan-out:
 * which of a thread's followers a new post may tell): a condition over a users row aliased `u`,
 * joined `LEFT JOIN companies c ON c.id = u.company_id`, and a thread row `t` — u is an active
 * user (as authz_principal_load demands) who may read t, exactly when authz_principal_load then
 * authz_can_read_thread would say so (unit/test_authz compares the two for every pair). */
#define AUTHZ_USER_READS_THREAD                                                                    \
	"(" AUTHZ_USER_ACTIVE " AND ("                                                             \
	AUTHZ_THREAD_VISIBLE_AS("u.role", "u.id", "coalesce(u.company_id, 0)", "coalesce(c.group_id, 0)") "))"
/* Binds the principal parameters used by AUTHZ_THREAD_VISIBLE into st (those st has). */
struct sqlite3_stmt;
void authz_bind(struct sqlite3_stmt *st, const struct principal *p);

/* True when p may read thread `thread_id` (false also when it does not exist). */
bool authz_can_read_thread(struct db *d, const struct principal *p, int64_t thread_id);
/* Whether p may write into thread `thread_id` (a reply, an upload): -1 when p may not read it or
 * it does not exist (404), 1 when it is locked (403 locked), 0 when p may. One statement; writers
 * ask before their write transaction and again inside it, where a lock or a visibility change
 * that landed meanwhile is seen. */
int authz_thread_locked(struct db *d, const struct principal *p, int64_t thread_id);
/* Loads the principal for user_id (for fan-out and mail, where no session exists). Returns 0
 * and fills *p (free strings with principal_clear), or -1 if no such active user. */
int authz_principal_load(struct db *d, int64_t user_id, struct principal *p);
/* Frees p's strings and zeroes it. */
void principal_clear(struct principal *p);
/* Fills p from 9 columns of st starting at col, in the order: user id, role, company id, group
 * id, company status, representative, name, email, TOTP setup required (the session query
 * selects the same, through AUTHZ_PRINCIPAL_COLUMNS). */
int authz_principal_fill(struct sqlite3_stmt *st, int col, struct principal *p);
/* Who can be a principal at all: a users row aliased `u` that is active. */
#define AUTHZ_USER_ACTIVE "u.status = 'active'"
/* The principal columns for a query joining users u and companies c. */
#define AUTHZ_PRINCIPAL_COLUMNS                                                                    \
	"u.id, u.role, coalesce(u.company_id, 0), coalesce(c.group_id, 0), coalesce(c.status, ''),"  \
	" u.representative, u.name, u.email, (u.totp_required <> 0 AND u.totp_secret IS NULL)"

/* The `company` visibility of §5 for any content that belongs to one company (a thread of
 * visibility `company`, a dispatch visit of §10): the company's participants and the experts
 * assigned to it (the secretariat reads everything). col names the company id column. */
#define AUTHZ_PARTICIPANT_OF(col) AUTHZ_PARTICIPANT_OF_AS(col, ":p_company")
#define AUTHZ_EXPERT_OF(col) AUTHZ_EXPERT_OF_AS(col, ":p_uid")
/* The same two, for a principal given as SQL expressions (AUTHZ_THREAD_VISIBLE_AS). */
#define AUTHZ_PARTICIPANT_OF_AS(col, company) "(" col " = " company ")"
#define AUTHZ_EXPERT_OF_AS(col, uid)                                                               \
	"EXISTS (SELECT 1 FROM expert_assignments ea"                                              \
	"        WHERE ea.expert_id = " uid " AND ea.company_id = " col ")"
#define AUTHZ_COMPANY_VISIBLE(col)                                                                 \
	"(CASE :p_role WHEN 'secretariat' THEN 1"                                                  \
	" WHEN 'participant' THEN " AUTHZ_PARTICIPANT_OF(col)                                      \
	" WHEN 'expert' THEN " AUTHZ_EXPERT_OF(col) " ELSE 0 END)"
/* A dispatch visit (§10) over a visit row aliased `v` (column company_id): content of
 * `company` visibility, nothing else. */
#define AUTHZ_VISIT_VISIBLE AUTHZ_COMPANY_VISIBLE("v.company_id")

/* True when p may read content of company_id's `company` visibility (its visits); false also
 * when the company does not exist. */
bool authz_can_read_company(struct db *d, const struct principal *p, int64_t company_id);
/* True when p may read visit visit_id (false also when it does not exist). */
bool authz_can_read_visit(struct db *d, const struct principal *p, int64_t visit_id);

/* The case collection (docs/API.md §11, docs/CASES.md), over a cases row aliased `k`: a
 * published case is readable by every gated reader; any other state only by the company rule
 * above (the secretariat, the company's participants, its assigned experts) —
 * AUTHZ_CASE_COMPANY_READER, which also decides who sees a published case with its company's
 * identity. Bind with authz_bind; routes carrying it are ACCESS_CONTENT, so the gate has passed. */
#define AUTHZ_CASE_COMPANY_READER AUTHZ_COMPANY_VISIBLE("k.company_id")
#define AUTHZ_CASE_VISIBLE "(k.status = 'published' OR " AUTHZ_CASE_COMPANY_READER ")"
/* What anyone, signed in or not, may read on the public site: published cases only. */
#define AUTHZ_CASE_PUBLIC "(k.status = 'published')"

/* True when p is a representative participant of company_id: the one who approves, sends back
 * or unpublishes the company's case. */
bool authz_is_company_representative(const struct principal *p, int64_t company_id);
/* True when p may read case case_id (false also when it does not exist). */
bool authz_can_read_case(struct db *d, const struct principal *p, int64_t case_id);
/* True when company_id holds a company-scope consent of the current material version of
 * document kind (`participation` or `nda`) — the very verdict the gate of §4 reads. False when
 * no material version of the kind has been published (nothing was consented to). */
bool authz_company_consent_in_effect(struct db *d, int64_t company_id, const char *kind);

/* The rule itself, for the principal bound by authz_bind. */
#define AUTHZ_THREAD_VISIBLE_BODY AUTHZ_THREAD_VISIBLE_AS(":p_role", ":p_uid", ":p_company", ":p_group")

/* The rule for a reader given as SQL expressions: role (its API name), user id, company id and
 * the company's group id (0 for none). An escalated expert reads the thread while the escalation
 * stands (assigned or answered); a declined one no longer does. */
/* clang-format off */
#define AUTHZ_THREAD_VISIBLE_AS(role, uid, company, group)                                         \
	"CASE " role                                                                                   \
	" WHEN 'secretariat' THEN 1"                                                                   \
	" WHEN 'participant' THEN (t.visibility = 'community'"                                         \
	"   OR (t.visibility = 'group' AND t.group_id IS NOT NULL AND t.group_id = " group ")"         \
	"   OR (t.visibility = 'company' AND " AUTHZ_PARTICIPANT_OF_AS("t.company_id", company) "))"     \
	" WHEN 'expert' THEN (t.visibility IN ('community','staff')"                                   \
	"   OR (t.visibility = 'group' AND EXISTS (SELECT 1 FROM expert_assignments ea"                \
	"        JOIN companies ac ON ac.id = ea.company_id"                                           \
	"        WHERE ea.expert_id = " uid " AND ac.group_id = t.group_id))"                          \
	"   OR (t.visibility = 'company' AND " AUTHZ_EXPERT_OF_AS("t.company_id", uid) ")"               \
	"   OR EXISTS (SELECT 1 FROM escalations es WHERE es.thread_id = t.id"                         \
	"        AND es.expert_id = " uid " AND es.state IN ('assigned','answered')))"                 \
	" ELSE 0 END"
/* clang-format on */

#endif
