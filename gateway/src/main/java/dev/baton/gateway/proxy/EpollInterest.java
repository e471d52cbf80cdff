package dev.baton.gateway.proxy;

import dev.baton.socket.TcpSocket;
import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.Native;
import io.netty.channel.socket.DuplexChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * Keeps a half-closed channel in its event loop's epoll set: a workaround for Netty 4.2.18.
 *
 * <p>Netty takes an fd out of epoll (EPOLL_CTL_DEL) when the channel's interest set becomes empty, yet goes on
 * treating it as added: the next interest it asks for is an EPOLL_CTL_MOD, which fails with ENOENT, and Netty
 * then shuts the channel's output — the bytes still to go are lost and the flow ends. Every channel whose input
 * ended gets there (it is not read any more, EPOLLRDHUP is cleared) as soon as nothing waits to be written; the
 * next write that fills its socket buffer fails. Seen: a peer that half-closes while a large echo is still on its
 * way to it loses the rest of the echo.
 *
 * <p>The workaround: EPOLLERR in the interest set from the end of the input until the output is shut too. The
 * kernel reports errors whatever the set says, so it wakes nobody, but the set is never empty. It goes once the
 * output is shut: a socket shut both ways reports EPOLLHUP for good, which a set that is not empty would turn into
 * a busy loop (and it needs no event any more). Netty's {@code setFlag}/{@code clearFlag} are not public: they are
 * reached by reflection; when that fails (another Netty version), it is logged once and channels stay as Netty
 * has them. Event loop only.
 */
final class EpollInterest {
    private static final Logger LOG = LoggerFactory.getLogger(EpollInterest.class);
    private static final Method SET = flagMethod("setFlag");
    private static final Method CLEAR = flagMethod("clearFlag");

    private EpollInterest() {
    }

    /**
     * {@code ch}'s input ended (ChannelInputShutdownEvent, or put back into epoll with its input ended).
     * {@code rebuilt}: the socket went through a capture (adopted, or put back after one), so it may have sent
     * its FIN without Netty knowing; only then is the TCP state asked (a getsockopt, spared on every other flow).
     */
    static void inputEnded(Channel ch, boolean rebuilt) {
        if (!(ch instanceof DuplexChannel d) || !d.isInputShutdown() || d.isOutputShutdown()) return;
        if (rebuilt && finSent(ch)) return;
        apply(SET, ch);
    }

    /** {@code ch}'s output was shut (our FIN is queued): nothing more to wait for once its input ended too. */
    static void outputShutDown(Channel ch) {
        if (ch instanceof DuplexChannel d && d.isInputShutdown()) apply(CLEAR, ch);
    }

    /** Shut at the TCP level: a rebuilt socket that had sent its FIN sends it again by itself. */
    private static boolean finSent(Channel ch) {
        try {
            return TcpSocket.borrow(((EpollSocketChannel) ch).fd().intValue()).info().state().finSent();
        } catch (RuntimeException closed) {
            return true;
        }
    }

    private static void apply(Method flag, Channel ch) {
        if (flag == null || !ch.isOpen()) return;
        try {
            flag.invoke(ch, Native.EPOLLERR);
        } catch (InvocationTargetException e) {
            LOG.debug("{}(EPOLLERR) on {} failed", flag.getName(), ch, e.getCause());
        } catch (IllegalAccessException e) {
            LOG.debug("{}(EPOLLERR) on {} refused", flag.getName(), ch, e);
        }
    }

    private static Method flagMethod(String name) {
        try {
            Method m = Class.forName("io.netty.channel.epoll.AbstractEpollChannel").getDeclaredMethod(name, int.class);
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LoggerFactory.getLogger(EpollInterest.class).warn("Netty's AbstractEpollChannel.{}(int) is not reachable "
                    + "({}): half-closed flows may lose bytes that block on a full socket buffer", name, e.toString());
            return null;
        }
    }
}
