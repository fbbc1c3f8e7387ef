// Live run progress over the WebSocket (the same contract locally and on API Gateway): the access token
// travels as a subprotocol, and the server sends the events of the user's organizations.
import { useEffect, useState } from 'react';
import { accessToken } from './auth';
import { runtimeConfig } from './config';

export interface ProgressMessage {
  type: 'extraction_started' | 'extraction_progress' | 'extraction_completed' | 'extraction_failed' | 'data_updated';
  data: {
    job_id: string;
    data_source_id: string;
    project_id: string;
    progress?: number;
    records_processed?: number;
    error?: string;
  };
  timestamp: string;
}

/** The latest progress message per job of one data source, while the page is open. */
export function useLiveProgress(
  dataSourceId: string,
  onEnd: () => void,
): { connected: boolean; byJob: Record<string, ProgressMessage> } {
  const [connected, setConnected] = useState(false);
  const [byJob, setByJob] = useState<Record<string, ProgressMessage>>({});
  useEffect(() => {
    const url = runtimeConfig().progressUrl;
    if (!url) return;
    let ws: WebSocket | null = null;
    let closed = false;
    void accessToken().then((token) => {
      if (closed || !token) return;
      ws = new WebSocket(url, ['tributary', token]);
      ws.onopen = () => setConnected(true);
      ws.onclose = () => setConnected(false);
      ws.onmessage = (e) => {
        let m: ProgressMessage;
        try {
          m = JSON.parse(String(e.data)) as ProgressMessage;
        } catch {
          return;
        }
        if (m.data?.data_source_id !== dataSourceId) return;
        setByJob((old) => ({ ...old, [m.data.job_id]: m }));
        if (m.type === 'extraction_completed' || m.type === 'extraction_failed' || m.type === 'extraction_started')
          onEnd();
      };
    });
    return () => {
      closed = true;
      ws?.close();
    };
    // onEnd is a refetch; a new one each render must not reconnect
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [dataSourceId]);
  return { connected, byJob };
}
