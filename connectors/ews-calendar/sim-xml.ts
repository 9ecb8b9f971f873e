/**
 * The EWS SOAP answers the simulator writes, element for element as Microsoft's EWS reference shows
 * them (fixtures/ quotes the examples): the SOAP 1.1 envelope, messages namespace
 * `http://schemas.microsoft.com/exchange/services/2006/messages`, types namespace `.../types`,
 * errors namespace `.../errors` for fault details. Element order follows the schema
 * (FreeBusyView: FreeBusyViewType, MergedFreeBusy, CalendarEventArray, WorkingHours).
 */
export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  m: 'http://schemas.microsoft.com/exchange/services/2006/messages',
  t: 'http://schemas.microsoft.com/exchange/services/2006/types',
  e: 'http://schemas.microsoft.com/exchange/services/2006/errors',
} as const;

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const VERSION_INFO = `<h:ServerVersionInfo xmlns:h="${NS.t}" MajorVersion="15" MinorVersion="2" MajorBuildNumber="1544" MinorBuildNumber="4" Version="V2017_07_11"/>`;

export function envelope(body: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${NS.soap}"><s:Header>${VERSION_INFO}</s:Header><s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">${body}</s:Body></s:Envelope>`;
}

/** A SOAP fault as Exchange sends it with HTTP 500 (ews-throttling-in-exchange: ErrorServerBusy with BackOffMilliseconds). */
export function fault(code: string, message: string, values: Record<string, string> = {}): string {
  const xml = Object.entries(values).map(([k, v]) => `<t:Value Name="${esc(k)}">${esc(v)}</t:Value>`).join('');
  return `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${NS.soap}"><s:Body><s:Fault><faultcode xmlns:a="${NS.t}">a:${esc(code)}</faultcode><faultstring xml:lang="en-US">${esc(message)}</faultstring><detail><e:ResponseCode xmlns:e="${NS.e}">${esc(code)}</e:ResponseCode><e:Message xmlns:e="${NS.e}">${esc(message)}</e:Message>${xml === '' ? '' : `<t:MessageXml xmlns:t="${NS.t}">${xml}</t:MessageXml>`}</detail></s:Fault></s:Body></s:Envelope>`;
}

export interface SimEventXml {
  readonly start: string;
  readonly end: string;
  readonly busyType: string;
  readonly details?: { id: string; subject?: string | undefined; location?: string | undefined; isPrivate: boolean } | undefined;
}

export type FreeBusyXml =
  | { readonly error: { code: string; message: string; values?: Record<string, string> | undefined } }
  | { readonly view: 'Detailed' | 'FreeBusyMerged'; readonly merged?: string | undefined; readonly events: readonly SimEventXml[]; readonly workingHours?: string | undefined };

function calendarEvent(e: SimEventXml): string {
  const d = e.details;
  const details =
    d === undefined
      ? ''
      : `<CalendarEventDetails><ID>${esc(d.id)}</ID>${d.subject !== undefined ? `<Subject>${esc(d.subject)}</Subject>` : ''}${d.location !== undefined ? `<Location>${esc(d.location)}</Location>` : ''}<IsMeeting>true</IsMeeting><IsRecurring>false</IsRecurring><IsException>false</IsException><IsReminderSet>true</IsReminderSet><IsPrivate>${d.isPrivate}</IsPrivate></CalendarEventDetails>`;
  return `<CalendarEvent><StartTime>${e.start}</StartTime><EndTime>${e.end}</EndTime><BusyType>${esc(e.busyType)}</BusyType>${details}</CalendarEvent>`;
}

/** GetUserAvailabilityResponse: one FreeBusyResponse per requested mailbox, in request order. */
export function availabilityResponse(items: readonly FreeBusyXml[]): string {
  const responses = items.map((r) => {
    if ('error' in r) {
      const xml = Object.entries(r.error.values ?? {}).map(([k, v]) => `<Value xmlns="${NS.t}" Name="${esc(k)}">${esc(v)}</Value>`).join('');
      return `<FreeBusyResponse><ResponseMessage ResponseClass="Error"><MessageText>${esc(r.error.message)}</MessageText><ResponseCode>${esc(r.error.code)}</ResponseCode><DescriptiveLinkKey>0</DescriptiveLinkKey>${xml === '' ? '' : `<MessageXml>${xml}</MessageXml>`}</ResponseMessage><FreeBusyView><FreeBusyViewType xmlns="${NS.t}">None</FreeBusyViewType></FreeBusyView></FreeBusyResponse>`;
    }
    const merged = r.merged !== undefined ? `<MergedFreeBusy xmlns="${NS.t}">${r.merged}</MergedFreeBusy>` : '';
    const events = r.events.length > 0 ? `<CalendarEventArray xmlns="${NS.t}">${r.events.map(calendarEvent).join('')}</CalendarEventArray>` : '';
    const wh = r.workingHours !== undefined ? `<WorkingHours xmlns="${NS.t}">${r.workingHours}</WorkingHours>` : '';
    return `<FreeBusyResponse><ResponseMessage ResponseClass="Success"><ResponseCode>NoError</ResponseCode></ResponseMessage><FreeBusyView><FreeBusyViewType xmlns="${NS.t}">${r.view}</FreeBusyViewType>${merged}${events}${wh}</FreeBusyView></FreeBusyResponse>`;
  });
  return envelope(`<GetUserAvailabilityResponse xmlns="${NS.m}"><FreeBusyResponseArray>${responses.join('')}</FreeBusyResponseArray></GetUserAvailabilityResponse>`);
}

/** WorkingHours: a SerializableTimeZone and the working periods (freebusyview reference). */
export function workingHoursXml(w: { bias: number; periods: readonly { days: string; start: number; end: number }[] }): string {
  const rule = (bias: number, month: number, order: number) => `<Bias>${bias}</Bias><Time>02:00:00</Time><DayOrder>${order}</DayOrder><Month>${month}</Month><DayOfWeek>Sunday</DayOfWeek>`;
  const periods = w.periods.map((p) => `<WorkingPeriod><DayOfWeek>${esc(p.days)}</DayOfWeek><StartTimeInMinutes>${p.start}</StartTimeInMinutes><EndTimeInMinutes>${p.end}</EndTimeInMinutes></WorkingPeriod>`).join('');
  return `<TimeZone><Bias>${w.bias}</Bias><StandardTime>${rule(0, 11, 1)}</StandardTime><DaylightTime>${rule(0, 3, 2)}</DaylightTime></TimeZone><WorkingPeriodArray>${periods}</WorkingPeriodArray>`;
}

/** GetUserOofSettingsResponse (MS-OXWOOF 4.2): ResponseMessage, then OofSettings in the types namespace. */
export function oofResponse(o: { state: 'Disabled' | 'Enabled' | 'Scheduled'; start: string; end: string }): string {
  return envelope(
    `<GetUserOofSettingsResponse xmlns="${NS.m}"><ResponseMessage ResponseClass="Success"><ResponseCode>NoError</ResponseCode></ResponseMessage><OofSettings xmlns="${NS.t}"><OofState>${o.state}</OofState><ExternalAudience>All</ExternalAudience><Duration><StartTime>${o.start}</StartTime><EndTime>${o.end}</EndTime></Duration><InternalReply><Message>I am out of office.</Message></InternalReply><ExternalReply><Message>I am out of office.</Message></ExternalReply></OofSettings><AllowExternalOof>All</AllowExternalOof></GetUserOofSettingsResponse>`,
  );
}

/** The MessageText, ResponseCode, DescriptiveLinkKey and MessageXml of a ResponseMessage with ResponseClass="Error" (prefix m:). */
function errorMessageXml(code: string, message: string, values: Record<string, string>): string {
  const xml = Object.entries(values).map(([k, v]) => `<t:Value Name="${esc(k)}">${esc(v)}</t:Value>`).join('');
  return `<m:MessageText>${esc(message)}</m:MessageText><m:ResponseCode>${esc(code)}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>${xml === '' ? '' : `<m:MessageXml>${xml}</m:MessageXml>`}`;
}

/** A SubscribeResponse with an error response message (HTTP 200; ews-throttling-in-exchange table 4). */
export function subscribeError(code: string, message: string, values: Record<string, string> = {}): string {
  return envelope(`<m:SubscribeResponse xmlns:m="${NS.m}" xmlns:t="${NS.t}"><m:ResponseMessages><m:SubscribeResponseMessage ResponseClass="Error">${errorMessageXml(code, message, values)}</m:SubscribeResponseMessage></m:ResponseMessages></m:SubscribeResponse>`);
}

/** A GetUserOofSettingsResponse with an error ResponseMessage (HTTP 200). */
export function oofError(code: string, message: string, values: Record<string, string> = {}): string {
  return envelope(`<m:GetUserOofSettingsResponse xmlns:m="${NS.m}" xmlns:t="${NS.t}"><m:ResponseMessage ResponseClass="Error">${errorMessageXml(code, message, values)}</m:ResponseMessage></m:GetUserOofSettingsResponse>`);
}

export function subscribeResponse(id: string): string {
  return envelope(`<m:SubscribeResponse xmlns:m="${NS.m}" xmlns:t="${NS.t}"><m:ResponseMessages><m:SubscribeResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:SubscriptionId>${esc(id)}</m:SubscriptionId></m:SubscribeResponseMessage></m:ResponseMessages></m:SubscribeResponse>`);
}

export function unsubscribeResponse(): string {
  return envelope(`<m:UnsubscribeResponse xmlns:m="${NS.m}" xmlns:t="${NS.t}"><m:ResponseMessages><m:UnsubscribeResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:UnsubscribeResponseMessage></m:ResponseMessages></m:UnsubscribeResponse>`);
}

/**
 * One frame of the chunked GetStreamingEvents answer (getstreamingevents-operation): each frame is a
 * whole `<Envelope>` in the SOAP namespace as default namespace, as Exchange writes them.
 */
export function streamingFrame(m: { status?: 'OK' | 'Closed'; notifications?: readonly { subscriptionId: string; kind: 'CreatedEvent' | 'ModifiedEvent' | 'DeletedEvent'; itemId: string; timeStamp: string }[]; error?: { code: string; message: string; subscriptionIds: readonly string[] } }): string {
  let inner: string;
  if (m.error !== undefined) {
    inner = `<m:GetStreamingEventsResponseMessage ResponseClass="Error"><m:MessageText>${esc(m.error.message)}</m:MessageText><m:ResponseCode>${esc(m.error.code)}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:ErrorSubscriptionIds>${m.error.subscriptionIds.map((s) => `<m:SubscriptionId>${esc(s)}</m:SubscriptionId>`).join('')}</m:ErrorSubscriptionIds></m:GetStreamingEventsResponseMessage>`;
  } else {
    const n = (m.notifications ?? [])
      .map((x) => `<m:Notification><t:SubscriptionId>${esc(x.subscriptionId)}</t:SubscriptionId><t:${x.kind}><t:TimeStamp>${x.timeStamp}</t:TimeStamp><t:ItemId Id="${esc(x.itemId)}" ChangeKey="DwAAAA=="/><t:ParentFolderId Id="AAMkAGNhbGVuZGFy" ChangeKey="AQAAAA=="/></t:${x.kind}></m:Notification>`)
      .join('');
    inner = `<m:GetStreamingEventsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>${n === '' ? '' : `<m:Notifications>${n}</m:Notifications>`}${m.status !== undefined ? `<m:ConnectionStatus>${m.status}</m:ConnectionStatus>` : ''}</m:GetStreamingEventsResponseMessage>`;
  }
  return `<Envelope xmlns="${NS.soap}"><soap11:Header xmlns:soap11="${NS.soap}">${VERSION_INFO}</soap11:Header><soap11:Body xmlns:soap11="${NS.soap}"><m:GetStreamingEventsResponse xmlns:m="${NS.m}" xmlns:t="${NS.t}"><m:ResponseMessages>${inner}</m:ResponseMessages></m:GetStreamingEventsResponse></soap11:Body></Envelope>`;
}
