/** The loopback stand-ins this connector is tested and demonstrated with (shared by the SIP family). */
export { SimPresenceServer } from '../sip-core/simulator.ts';
export { SimPhone } from '../sip-core/simulator-phone.ts';
