// SPDX-License-Identifier: GPL-2.0
/*
 * The driver's rules for the ioctl requests, in one table: which values
 * it refuses with which errno (driver/ioctl.c), and what to tell the user
 * then. The table is read both ways: before a request is sent, to refuse
 * what the driver would refuse (driver_rule_broken()), and after the
 * driver failed it, to explain its errno (driver_rule_for_errno()). So a
 * rule is written down once, and the message is the same either way.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "ctl.h"

#define FOR(type)	(1U << (type))
#define FOR_CHANGES	(FOR(REQUEST_RESIZE) | FOR(REQUEST_PUNCH))
#define FOR_ANY		(FOR(REQUEST_INFO) | FOR_CHANGES)

struct driver_rule {
	unsigned int requests;	/* FOR(REQUEST_*): what it applies to */
	int err;		/* the driver's errno when it is broken */
	/* Whether @req breaks it; NULL: only the driver can tell. */
	bool (*broken)(const struct device_request *req);
	const char *explanation;	/* {name}s: see placeholder() */
};

static bool flags_set(const struct device_request *req)
{
	return req->flags;
}

static bool size_zero(const struct device_request *req)
{
	return !req->size;
}

static bool size_unaligned(const struct device_request *req)
{
	return req->size % req->page_size;
}

static bool size_above_max(const struct device_request *req)
{
	return req->size > req->max_size;
}

static bool length_zero(const struct device_request *req)
{
	return !req->length;
}

static bool offset_unaligned(const struct device_request *req)
{
	return req->offset % req->page_size;
}

static bool length_unaligned(const struct device_request *req)
{
	return req->length % req->page_size;
}

static bool range_wraps(const struct device_request *req)
{
	return req->offset + req->length < req->offset;
}

/*
 * In the order the driver checks them, so that the first broken rule is
 * the one its errno came from. (The reserved fields must be zero too;
 * this program always sends them so.) The rules without a condition come
 * last: an errno that no broken rule explains gets their message.
 */
static const struct driver_rule driver_rules[] = {
	{ FOR(REQUEST_RESIZE), EINVAL, flags_set,
	  "cannot resize to {size}: the driver rejects flags {flags} (only 0 is defined)" },
	{ FOR(REQUEST_RESIZE), EINVAL, size_zero,
	  "cannot resize to 0: the size must be at least one page ({page_size} bytes)" },
	{ FOR(REQUEST_RESIZE), EINVAL, size_unaligned,
	  "cannot resize to {size}: not a multiple of the page size ({page_size} bytes)" },
	{ FOR(REQUEST_RESIZE), EINVAL, size_above_max,
	  "cannot resize to {size} ({size_iec}): above max_size {max_size} ({max_size_iec}); load the module with a larger max_size=" },
	{ FOR(REQUEST_PUNCH), EINVAL, flags_set,
	  "cannot punch: the driver rejects flags {flags} (only 0 is defined)" },
	{ FOR(REQUEST_PUNCH), EINVAL, length_zero,
	  "cannot punch: LENGTH is 0" },
	{ FOR(REQUEST_PUNCH), EINVAL, offset_unaligned,
	  "cannot punch at offset {offset}: not page aligned (page size {page_size} bytes)" },
	{ FOR(REQUEST_PUNCH), EINVAL, length_unaligned,
	  "cannot punch {length} bytes: LENGTH is not a multiple of the page size ({page_size} bytes)" },
	{ FOR(REQUEST_PUNCH), EINVAL, range_wraps,
	  "cannot punch: OFFSET + LENGTH overflows 64 bits" },
	/* A request that changes the device needs a writable file. */
	{ FOR_CHANGES, EBADF, NULL,
	  "{request} failed: {error}: {device} is not open for writing, and the request changes the device" },
	/* A shrink that cuts a huge folio allocates its replacement. */
	{ FOR(REQUEST_RESIZE), ENOMEM, NULL,
	  "{request} failed: {error}: the kernel ran out of memory; nothing was changed" },
	{ FOR_ANY, EFAULT, NULL,
	  "{request} failed: {error}: the kernel could not access the request (a bug in mmapdemo-ctl?)" },
	/* A rule of a newer driver that this table does not know yet. */
	{ FOR_ANY, EINVAL, NULL,
	  "{request} failed: {error}: the driver rejected the request's values" },
};

static bool applies(const struct driver_rule *rule,
		    const struct device_request *req)
{
	return rule->requests & FOR(req->type);
}

/* The first rule @req breaks, or NULL: the driver should accept it. */
const struct driver_rule *driver_rule_broken(const struct device_request *req)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(driver_rules); i++) {
		const struct driver_rule *rule = &driver_rules[i];

		if (applies(rule, req) && rule->broken && rule->broken(req))
			return rule;
	}
	return NULL;
}

/* The rule that explains why the driver failed @req with @err, or NULL. */
const struct driver_rule *
driver_rule_for_errno(const struct device_request *req, int err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(driver_rules); i++) {
		const struct driver_rule *rule = &driver_rules[i];

		if (applies(rule, req) && rule->err == err &&
		    (!rule->broken || rule->broken(req)))
			return rule;
	}
	return NULL;
}

static bool is_name(const char *name, size_t len, const char *s)
{
	return len == strlen(s) && !strncmp(name, s, len);
}

/*
 * The value of the placeholder {@name} (@len bytes) for @req, in @buf.
 * Return: false for a name that is none.
 */
static bool placeholder(const char *name, size_t len,
			const struct device_request *req, int err, char *buf,
			size_t buf_len)
{
	if (is_name(name, len, "request"))
		snprintf(buf, buf_len, "%s", req->name);
	else if (is_name(name, len, "error"))
		snprintf(buf, buf_len, "%s", strerror(err));
	else if (is_name(name, len, "device"))
		snprintf(buf, buf_len, "%s", req->device);
	else if (is_name(name, len, "flags"))
		snprintf(buf, buf_len, "%#" PRIx32, req->flags);
	else if (is_name(name, len, "size"))
		snprintf(buf, buf_len, "%" PRIu64, req->size);
	else if (is_name(name, len, "size_iec"))
		format_bytes(req->size, buf, buf_len);
	else if (is_name(name, len, "max_size"))
		snprintf(buf, buf_len, "%" PRIu64, req->max_size);
	else if (is_name(name, len, "max_size_iec"))
		format_bytes(req->max_size, buf, buf_len);
	else if (is_name(name, len, "offset"))
		snprintf(buf, buf_len, "%" PRIu64, req->offset);
	else if (is_name(name, len, "length"))
		snprintf(buf, buf_len, "%" PRIu64, req->length);
	else if (is_name(name, len, "page_size"))
		snprintf(buf, buf_len, "%" PRIu64, req->page_size);
	else
		return false;
	return true;
}

/*
 * The explanation of @rule for @req (which the driver failed with @err,
 * or would), in @buf: its text with each {name} replaced by the value.
 */
const char *driver_rule_explain(const struct driver_rule *rule,
				const struct device_request *req, int err,
				char *buf, size_t len)
{
	const char *p = rule->explanation;
	size_t used = 0;

	buf[0] = '\0';
	while (*p && used + 1 < len) {
		const char *end = strchr(p, '}');
		const char *text = p;
		char value[PATH_MAX];
		size_t n;

		if (*p == '{' && end &&
		    placeholder(p + 1, end - p - 1, req, err, value,
				sizeof(value))) {
			text = value;
			n = strlen(value);
			p = end + 1;
		} else {
			/* Up to the next '{', which may start a placeholder. */
			n = 1 + strcspn(p + 1, "{");
			p += n;
		}
		if (n > len - used - 1)
			n = len - used - 1;
		memcpy(buf + used, text, n);
		used += n;
		buf[used] = '\0';
	}
	return buf;
}
