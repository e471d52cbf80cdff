package dev.baton.gateway.admin;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/** The HTTP answers the admin API writes. */
final class Responses {
    static final String JSON = "application/json";

    private Responses() {
    }

    static FullHttpResponse json(HttpResponseStatus status, byte[] body, boolean keepAlive) {
        return of(status, JSON, body, keepAlive);
    }

    /** {@code {"error": message}} with {@code status}. */
    static FullHttpResponse error(HttpResponseStatus status, String message, boolean keepAlive) {
        return json(status, AdminJson.error(message), keepAlive);
    }

    static FullHttpResponse text(String contentType, String body, boolean keepAlive) {
        return of(HttpResponseStatus.OK, contentType, body.getBytes(StandardCharsets.UTF_8), keepAlive);
    }

    private static FullHttpResponse of(HttpResponseStatus status, String contentType, byte[] body, boolean keepAlive) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        HttpUtil.setContentLength(r, body.length);
        HttpUtil.setKeepAlive(r, keepAlive);
        return r;
    }
}
