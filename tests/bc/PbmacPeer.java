// An independent PBMAC1 peer for src/protect/tests_pbmac1_interop.rs, built on Bouncy Castle's CMP classes.
//
//   java PbmacPeer verify FILE SECRET
//       Checks the PBMAC1 protection of the PKIMessage in FILE (DER) with Bouncy Castle's PBMAC1
//       calculator; prints the parameters and "verified" (exit 0) or "NOT verified" (exit 1).
//   java PbmacPeer protect IN OUT SECRET ITERATIONS PRF
//       Rebuilds the PKIMessage IN with the same header fields and body, protected by Bouncy Castle
//       with PBMAC1 (PRF HMAC with PRF = sha256|sha384|sha512, MAC HMAC-SHA256), and writes it to OUT.
//   java PbmacPeer send URL IN OUT
//       POSTs the DER in IN to URL as application/pkixcmp and writes the answer's body to OUT
//       (exit 0 only for HTTP 200).
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.Security;

import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.cmp.InfoTypeAndValue;
import org.bouncycastle.asn1.pkcs.PBMAC1Params;
import org.bouncycastle.asn1.cmp.PKIHeader;
import org.bouncycastle.asn1.cmp.PKIMessage;
import org.bouncycastle.asn1.pkcs.PBKDF2Params;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.cmp.ProtectedPKIMessage;
import org.bouncycastle.cert.cmp.ProtectedPKIMessageBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.MacCalculator;
import org.bouncycastle.pkcs.jcajce.JcePBMac1CalculatorBuilder;
import org.bouncycastle.pkcs.jcajce.JcePBMac1CalculatorProviderBuilder;

public class PbmacPeer {
    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        if (args.length == 3 && args[0].equals("verify")) {
            System.exit(verify(args[1], args[2].toCharArray()) ? 0 : 1);
        } else if (args.length == 6 && args[0].equals("protect")) {
            protect(args[1], args[2], args[3].toCharArray(), Integer.parseInt(args[4]), args[5]);
        } else if (args.length == 4 && args[0].equals("send")) {
            System.exit(send(args[1], args[2], args[3]) ? 0 : 1);
        } else {
            System.err.println("usage: verify FILE SECRET | protect IN OUT SECRET ITERATIONS PRF | send URL IN OUT");
            System.exit(2);
        }
    }

    static boolean verify(String file, char[] secret) throws Exception {
        PKIMessage msg = PKIMessage.getInstance(Files.readAllBytes(Paths.get(file)));
        ProtectedPKIMessage prot = new ProtectedPKIMessage(new org.bouncycastle.cert.cmp.GeneralPKIMessage(msg));
        AlgorithmIdentifier alg = prot.getProtectionAlgorithm();
        PBMAC1Params p = PBMAC1Params.getInstance(alg.getParameters());
        PBKDF2Params k = PBKDF2Params.getInstance(p.getKeyDerivationFunc().getParameters());
        System.out.println("protectionAlg " + alg.getAlgorithm() + " kdf " + p.getKeyDerivationFunc().getAlgorithm()
            + " iterations " + k.getIterationCount() + " salt " + k.getSalt().length + " keyLength "
            + k.getKeyLength() + " prf " + k.getPrf().getAlgorithm() + " mac "
            + p.getMessageAuthScheme().getAlgorithm());
        boolean ok = prot.verify(new JcePBMac1CalculatorProviderBuilder().setProvider("BC").build(), secret);
        System.out.println(ok ? "verified" : "NOT verified");
        return ok;
    }

    static void protect(String in, String out, char[] secret, int iterations, String prf) throws Exception {
        PKIMessage msg = PKIMessage.getInstance(Files.readAllBytes(Paths.get(in)));
        PKIHeader h = msg.getHeader();
        ProtectedPKIMessageBuilder b =
            new ProtectedPKIMessageBuilder(h.getPvno().intValueExact(), h.getSender(), h.getRecipient());
        b.setTransactionID(h.getTransactionID().getOctets());
        b.setSenderNonce(h.getSenderNonce().getOctets());
        if (h.getRecipNonce() != null) b.setRecipNonce(h.getRecipNonce().getOctets());
        if (h.getSenderKID() != null) b.setSenderKID(h.getSenderKID().getOctets());
        if (h.getMessageTime() != null) b.setMessageTime(h.getMessageTime().getDate());
        if (h.getGeneralInfo() != null) for (InfoTypeAndValue i : h.getGeneralInfo()) b.addGeneralInfo(i);
        b.setBody(msg.getBody());
        AlgorithmIdentifier prfAlg = switch (prf) {
            case "sha256" -> JcePBMac1CalculatorBuilder.PRF_SHA256;
            case "sha384" -> JcePBMac1CalculatorBuilder.PRF_SHA384;
            case "sha512" -> JcePBMac1CalculatorBuilder.PRF_SHA512;
            default -> throw new IllegalArgumentException("PRF " + prf);
        };
        MacCalculator mac = new JcePBMac1CalculatorBuilder("HmacSHA256", 256).setProvider("BC")
            .setIterationCount(iterations).setPrf(prfAlg).build(secret);
        Files.write(Paths.get(out), b.build(mac).toASN1Structure().getEncoded("DER"));
    }

    static boolean send(String url, String in, String out) throws Exception {
        java.net.HttpURLConnection c = (java.net.HttpURLConnection) new java.net.URL(url).openConnection();
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        c.setConnectTimeout(10000);
        c.setReadTimeout(30000);
        c.setRequestProperty("Content-Type", "application/pkixcmp");
        try (java.io.OutputStream o = c.getOutputStream()) {
            o.write(Files.readAllBytes(Paths.get(in)));
        }
        int status = c.getResponseCode();
        System.out.println("HTTP " + status);
        if (status != 200) return false;
        try (java.io.InputStream i = c.getInputStream()) {
            Files.write(Paths.get(out), i.readAllBytes());
        }
        return true;
    }
}
