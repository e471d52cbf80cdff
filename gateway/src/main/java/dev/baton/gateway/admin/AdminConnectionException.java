package dev.baton.gateway.admin;

import dev.baton.ckpt.keys.ClusterConnectionException;
import dev.baton.socket.StateJson;

import java.net.InetSocketAddress;

/**
 * A call could not reach the gateway's admin API, or no usable answer came back: nothing listens there, one side
 * refused the other's certificate, or the answer was not the API's ({@link Reason#PROTOCOL}). Error answers of the
 * API itself are {@link AdminException}s.
 */
public final class AdminConnectionException extends ClusterConnectionException {

    AdminConnectionException(Reason reason, InetSocketAddress admin, String message, Throwable cause) {
        super(reason, admin, message, cause);
    }

    static String at(InetSocketAddress admin) {
        return "the gateway admin API at " + StateJson.format(admin);
    }
}
