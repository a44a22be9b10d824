package io.astaire.controller;

import java.util.ArrayList;
import java.util.List;

/**
 * An {@code If-Match} header as RFC 9110 section 13.1.1 reads it: {@code *} (any current
 * representation) or a comma-separated list of entity tags, compared strongly, so a weak tag
 * ({@code W/"3"}) never matches. Absent or blank means no precondition.
 */
record IfMatch(boolean any, List<String> tags) {

    static final IfMatch NONE = new IfMatch(false, null);

    /** @throws ApiException 400 naming {@code If-Match} when a member is not an entity tag */
    static IfMatch parse(String header) {
        if (header == null || header.isBlank()) {
            return NONE;
        }
        String h = header.trim();
        if (h.equals("*")) {
            return new IfMatch(true, List.of());
        }
        List<String> tags = new ArrayList<>();
        int i = 0;
        while (i < h.length()) {
            char c = h.charAt(i);
            if (c == ',' || c == ' ' || c == '\t') {
                i++;
                continue;
            }
            int start = i;
            if (h.startsWith("W/", i)) {
                i += 2;
            }
            if (i >= h.length() || h.charAt(i) != '"') {
                throw bad(header);
            }
            int close = h.indexOf('"', i + 1);
            if (close < 0) {
                throw bad(header);
            }
            tags.add(h.substring(start, close + 1));
            i = close + 1;
        }
        if (tags.isEmpty()) {
            throw bad(header);
        }
        return new IfMatch(false, List.copyOf(tags));
    }

    /** Whether there is a precondition at all. */
    boolean given() {
        return any || tags != null;
    }

    /** Whether the precondition holds for the current ETag ({@code null} when the item does not exist). */
    boolean matches(String currentEtag) {
        if (!given()) {
            return true;
        }
        if (currentEtag == null) {
            return false;
        }
        return any || tags.stream().anyMatch(t -> !t.startsWith("W/") && t.equals(currentEtag));
    }

    private static ApiException bad(String header) {
        return ApiException.badRequest("If-Match", "'" + header + "' is not * or a list of entity tags like \"3\", \"4\"");
    }
}
