package dev.baton.gateway.admin;

import java.util.Objects;

/** An answer of an {@link AdminHandler} other than "this object as JSON, status 200". */
public sealed interface Reply {
    /** Prometheus' text exposition format, as {@code GET /metrics} serves it. */
    String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    /** {@code body} as JSON with another status than 200 (e.g. 202 Accepted). */
    record Json(int status, Object body) implements Reply {
        public Json {
            if (status < 200 || status > 299) {
                throw new IllegalArgumentException("a reply is a success (2xx); errors are thrown: " + status);
            }
        }
    }

    /** A text body of the given content type, status 200 (e.g. Prometheus metrics). */
    record Text(String contentType, String body) implements Reply {
        public Text {
            Objects.requireNonNull(contentType, "contentType");
            Objects.requireNonNull(body, "body");
        }
    }

    /** 202: the request was taken and goes on in the background; {@code body} says where it is. */
    static Reply accepted(Object body) {
        return new Json(202, body);
    }
}
