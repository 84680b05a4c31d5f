package org.jgan.dashboard.internal;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Protection of the state-changing requests against cross-site request forgery, two checks that must both pass:
 * <ul>
 * <li>the request carries a token tied to the browser's session cookie: the cookie {@value #COOKIE} (random,
 * HttpOnly, SameSite=Strict) is set by the page; the token is HMAC-SHA256 of it under a key drawn when the runtime
 * started, handed to the page in a meta tag and sent back in the header {@value #HEADER};</li>
 * <li>the request comes from the dashboard's own origin: its {@code Origin} header (or, without one, its
 * {@code Referer}) names the scheme, host and port the request was sent to.</li>
 * </ul>
 * Before both, every request (reads too) must name the dashboard by an address of this machine in its {@code Host}
 * header ({@link #hostRefusal}): a page of another site whose name was made to resolve to 127.0.0.1 (DNS
 * rebinding) sends its own name, and would otherwise pass as same-origin.
 */
final class Csrf {

    static final String COOKIE = "jgan_session";
    static final String HEADER = "X-Jgan-Token";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] key = new byte[32];

    Csrf() {
        RANDOM.nextBytes(key);
    }

    /** The session cookie's value of the request, or null. */
    static String session(HttpServletRequest req) {
        Cookie[] cookies = req.getCookies();
        if (cookies != null) {
            for (Cookie c : cookies) {
                if (COOKIE.equals(c.getName()) && c.getValue() != null && !c.getValue().isEmpty()) {
                    return c.getValue();
                }
            }
        }
        return null;
    }

    /** The request's session, or a new one set as a cookie on the response. */
    String sessionFor(HttpServletRequest req, HttpServletResponse resp) {
        String s = session(req);
        if (s != null) {
            return s;
        }
        byte[] b = new byte[18];
        RANDOM.nextBytes(b);
        s = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        resp.addHeader("Set-Cookie", COOKIE + "=" + s + "; Path=/; HttpOnly; SameSite=Strict");
        return s;
    }

    /** The token of a session. */
    String token(String session) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(mac.doFinal(session.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /**
     * Why the request may not be answered at all, or null: its Host header must be a loopback name or address
     * (localhost, 127.x, [::1]) or one of {@code allowed} (the host the dashboard was bound to); with
     * {@code anyHost} (bound to all addresses on purpose) every name passes.
     */
    static String hostRefusal(HttpServletRequest req, Set<String> allowed, boolean anyHost) {
        String host = req.getHeader("Host");
        if (host == null) {
            return "request refused: no Host header";
        }
        if (anyHost) {
            return null;
        }
        String name = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1)
                : host.contains(":") ? host.substring(0, host.lastIndexOf(':')) : host;
        name = name.toLowerCase(Locale.ROOT);
        if (name.equals("localhost") || name.equals("[::1]") || name.matches("127(\\.[0-9]{1,3}){3}")
                || allowed.contains(name)) {
            return null;
        }
        return "request refused: the dashboard answers to this machine's addresses, not to '" + name + "'";
    }

    /** Why the request may not change anything, or null when it may. */
    String refusal(HttpServletRequest req) {
        String origin = req.getHeader("Origin");
        String expected = req.getScheme() + "://" + req.getHeader("Host");
        if (origin != null) {
            if (!origin.equals(expected)) {
                return "cross-origin request refused (Origin " + origin + ")";
            }
        } else {
            String referer = req.getHeader("Referer");
            if (referer == null) {
                return "request refused: no Origin or Referer header to check it comes from the dashboard";
            }
            URI r;
            try {
                r = URI.create(referer);
            } catch (IllegalArgumentException e) {
                return "request refused: malformed Referer";
            }
            if (!(r.getScheme() + "://" + r.getRawAuthority()).equals(expected)) {
                return "cross-origin request refused (Referer from another origin)";
            }
        }
        String session = session(req);
        String sent = req.getHeader(HEADER);
        if (session == null || sent == null) {
            return "request refused: missing session cookie or " + HEADER + " header (reload the dashboard)";
        }
        if (!MessageDigest.isEqual(token(session).getBytes(StandardCharsets.UTF_8),
                sent.getBytes(StandardCharsets.UTF_8))) {
            return "request refused: the " + HEADER + " token does not match this browser's session (reload the dashboard)";
        }
        return null;
    }
}
